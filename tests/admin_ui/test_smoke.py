"""Every page of the panel renders for an admin with events and notify enabled."""

URLS = ["/admin/", "/admin/moderation", "/admin/moderation/events.review", "/admin/users", "/admin/users/{me}",
        "/admin/roles", "/admin/roles/moderator", "/admin/audit", "/admin/plugins", "/admin/p/notify/deliveries"]


async def test_every_page_renders(admin_client) -> None:
    client = await admin_client(roles=["admin"], plugins=["admin", "events", "notify"])
    user = client.user
    for url in URLS:
        r = await client.get(url.format(me=user.id))
        assert r.status_code == 200, (url, r.text[:3000])
        assert r.headers["content-type"].startswith("text/html")
