"""The courier (快递) stand-in: a signed shipment API that answers with a tracking number, a page where a
tester moves a parcel on (picked up, delivered, failed), signed status callbacks delivered at least once,
and fault injection (``CourierFault``: down, slow, failing deliveries). Its tables belong to the sandbox
app (sandbox/migrations)."""
