from .approval import Approval, ApprovalRule, Delegation
from .candidate import OfferDecline, OfferLetter, OfferLink, OfferSignature
from .competing import CompetingOffer
from .money import BandPosition, CompensationBand, ExchangeRate
from .offer import REPORT_FIELDS, EquityGrant, Offer, OfferPayment, OtherAmount, VestingYear
from .prices import SharePrice

__all__ = [
    "REPORT_FIELDS",
    "Approval",
    "ApprovalRule",
    "BandPosition",
    "CompetingOffer",
    "CompensationBand",
    "Delegation",
    "EquityGrant",
    "ExchangeRate",
    "Offer",
    "OfferDecline",
    "OfferLetter",
    "OfferLink",
    "OfferPayment",
    "OfferSignature",
    "OtherAmount",
    "SharePrice",
    "VestingYear",
]
