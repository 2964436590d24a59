"""The unified public payment platform (统一公共支付平台) stand-in: signed order, query, close, refund and
statement APIs, a pay page with a QR code where a tester pays, fails or cancels, and asynchronous signed
notifications delivered at least once — with fault injection (``PaymentFault``) for lost, repeated and
late messages. Its tables belong to the sandbox app (sandbox/migrations)."""
