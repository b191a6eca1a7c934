async def test_me_with_token(client, admin):
    response = await client.get("/api/v1/users/me/", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["username"] == admin.user.username
