"""The auth and users API is in the OpenAPI document, with operation ids, examples and documented errors."""

from __future__ import annotations


async def test_openapi_documents_auth(make_client) -> None:
    client = await make_client([])
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    ops = {op["operationId"]: op for path in doc["paths"].values() for op in path.values() if isinstance(op, dict)}
    for name in ("register", "verify_account", "login", "refresh_tokens", "logout", "logout_all", "list_sessions",
                 "forgot_password", "reset_password", "setup_totp", "enable_totp", "start_oidc", "finish_oidc",
                 "get_me", "update_me", "list_referrals", "export_me", "delete_me", "ban_user", "list_roles"):
        assert name in ops, name
    login = ops["login"]["responses"]
    assert set(login) >= {"200", "401", "429"}
    examples = login["401"]["content"]["application/problem+json"]["examples"]
    assert {e["value"]["code"] for e in examples.values()} >= {"invalid_credentials", "verification_required"}
    schemas = doc["components"]["schemas"]
    assert schemas["LoginCreate"]["properties"]["identifier"]["examples"] == ["ada@example.org", "+447911123456"]
