// The Express side of `make bench`: Auth0's Express API quickstart as its docs ship it (one
// node process, express-oauth2-jwt-bearer with its defaults, Express's default error
// handler), with the demo API's two benchmarked routes and bodies. The tenant is the
// benchmark's loopback JWKS server, so the issuer and JWKS URL are given directly instead of
// issuerBaseURL (which would fetch them from the tenant's discovery document).
// Configuration from the environment: PORT, ISSUER, AUDIENCE, JWKS_URL. Listens on 127.0.0.1.
const express = require("express");
const { auth } = require("express-oauth2-jwt-bearer");

const app = express();
const checkJwt = auth({
  issuer: process.env.ISSUER,
  audience: process.env.AUDIENCE,
  jwksUri: process.env.JWKS_URL,
  tokenSigningAlg: "RS256",
});

app.get("/api/public", (req, res) => {
  res.json({
    message: "Hello from a public endpoint! You don't need to be authenticated to see this.",
    timestamp: new Date().toISOString(),
  });
});

app.get("/api/private", checkJwt, (req, res) => {
  res.json({
    message: "Hello from a protected endpoint! You successfully authenticated.",
    user: req.auth.payload.sub,
    timestamp: new Date().toISOString(),
  });
});

const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
