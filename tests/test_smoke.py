def test_private_with_valid_token_is_200(api, token):
    response = api("/api/private", token(scope="read:messages"))
    assert response.status_code == 200, response.content
    assert response.json()["user"] == "auth0|user-1"


def test_private_without_token_is_401(api):
    response = api("/api/private")
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized", "message": "Authentication required"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
