"""orders' checks for ``manage.py check --deploy`` (``register_deploy_checks``)."""

from __future__ import annotations

from core.deploy_check import Finding
from core.hooks import plugin_settings
from core.settings import Settings
from plugins.orders import OrdersSettings


def credentials_keys_given(settings: Settings) -> list[Finding]:
    """Venues' POS credentials encrypted with keys of their own, not keys derived from the JWT signing keys.

    Derived keys tie the two secrets together: rotating the JWT keys would make every stored credential unreadable,
    and one leaked secret would open both.
    """
    if plugin_settings(OrdersSettings).credentials_keys.strip():
        return []
    return [Finding("plugins.orders.credentials_keys", "is empty: venues' POS credentials are encrypted with keys "
                                                       "derived from auth.jwt_keys (rotating those would lose them); "
                                                       "set Fernet keys of its own (python -c 'from "
                                                       "cryptography.fernet import Fernet; "
                                                       "print(Fernet.generate_key().decode())') in "
                                                       "SBOR_PLUGINS__ORDERS__CREDENTIALS_KEYS")]
