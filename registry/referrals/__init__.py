"""The referral directory (what a hotline operator can refer a caller to, per commune) and the
facilities' identifiers in other information systems."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
