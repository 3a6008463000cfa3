// The Express side of the side-by-side comparison (tests/test_express_parity.py): Auth0's
// Express API quickstart routes on express-oauth2-jwt-bearer 1.10, each guarded as the
// quickstart guards it, with the SDK's defaults (DPoP enabled, as 1.10 has it) and Express's
// default error handler (NODE_ENV=production: the status, the SDK's headers, an HTML body).
// The tenant is the test's loopback JWKS server, so the issuer and JWKS URL are given
// directly instead of issuerBaseURL (which would fetch them from a discovery document).
// Environment: PORT, ISSUER, AUDIENCE, JWKS_URL; DPOP_REQUIRED=true for `dpop.required`.
// Listens on 127.0.0.1.
const express = require("express");
const {
  auth, requiredScopes, claimEquals, claimIncludes, claimCheck,
} = require("express-oauth2-jwt-bearer");

const options = {
  issuer: process.env.ISSUER,
  audience: process.env.AUDIENCE,
  jwksUri: process.env.JWKS_URL,
  tokenSigningAlg: "RS256",
};
if (process.env.DPOP_REQUIRED === "true") {
  options.dpop = { enabled: true, required: true };  // the SDK's docs: DPoP-only
}
const checkJwt = auth(options);
const optionalJwt = auth({ ...options, authRequired: false });
const checkScopes = requiredScopes("read:messages");

const app = express();

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

app.get("/api/private-scoped", checkJwt, checkScopes, (req, res) => {
  res.json({
    message: "Hello from a scoped endpoint! You have the required permission.",
    user: req.auth.payload.sub,
    scope: req.auth.payload.scope,
    timestamp: new Date().toISOString(),
  });
});

app.get("/api/messages", checkJwt, checkScopes, (req, res) => {
  res.json({ messages: [{ id: 1, text: "Hello!" }, { id: 2, text: "World!" }] });
});

app.get("/api/admin", checkJwt, requiredScopes("admin:access"), (req, res) => {
  res.json({ message: "Admin access granted", userId: req.auth.payload.sub });
});

app.get("/api/org/:orgId", checkJwt, claimEquals("org_id", "org_123"), (req, res) => {
  res.json({ message: "Organization access granted" });
});

app.get("/api/roles", checkJwt, claimIncludes("roles", "editor", "viewer"), (req, res) => {
  res.json({ message: "Role check passed" });
});

const premium = claimCheck(
  (claims) => claims.subscription === "premium" && claims.verified === true,
  "A verified premium subscription is required",
);
app.get("/api/premium", checkJwt, premium, (req, res) => {
  res.json({ message: "Premium feature access granted" });
});

app.get("/api/feed", optionalJwt, (req, res) => {
  if (req.auth) {
    res.json({ message: `Welcome back, ${req.auth.payload.sub}!`, personalizedContent: true });
  } else {
    res.json({ message: "Welcome, guest!", personalizedContent: false });
  }
});

const server = app.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
