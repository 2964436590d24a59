"""Money is integer fen (分) everywhere: in the database, in messages to the payment platform and in
arithmetic. Yuan (元) strings exist only at the edges — what people type and read."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FEN_PER_YUAN = 100
MAX_FEN = 10**11  # one billion yuan: far above any fee, far below the 64-bit limit


def format_yuan(fen: int | None, *, symbol: bool = True) -> str:
    """``123456`` → ``"¥1,234.56"`` (``"1234.56"`` without the symbol, for forms and files)."""
    if fen is None:
        return ""
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    if symbol:
        return f"{sign}¥{yuan:,}.{cents:02d}"
    return f"{sign}{yuan}.{cents:02d}"


def parse_yuan(text, *, field: str = "amount", allow_zero: bool = False) -> int:
    """``"1,234.5"`` → ``123450`` fen. A clear field error for anything else: not a number, more than two
    decimals, negative, zero (unless allowed) or absurdly large. Never goes through float."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    raw = raw.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError({field: [_("Enter an amount in yuan, e.g. 1200 or 1200.50.")]}) from None
    if not value.is_finite():
        raise ValidationError({field: [_("Enter an amount in yuan, e.g. 1200 or 1200.50.")]})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({field: [_("Amounts have at most two decimals (fen).")]})
    fen = int(value * FEN_PER_YUAN)
    if fen < 0 or (fen == 0 and not allow_zero):
        raise ValidationError({field: [_("Enter an amount greater than zero.")]})
    if fen > MAX_FEN:
        raise ValidationError({field: [_("The amount is too large.")]})
    return fen


def fen_from_json(value, *, field: str = "amount_fen") -> int:
    """An integer amount in fen from a JSON message; booleans, floats and strings are refused (a float
    amount from another system is a bug to surface, not to round)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: [_("Amounts are whole numbers of fen.")]})
    if value < 0 or value > MAX_FEN:
        raise ValidationError({field: [_("The amount is out of range.")]})
    return value
