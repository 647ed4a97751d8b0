// A real OpenID Connect provider for the tests: the `oidc-provider` npm package on loopback.
// Started by tests/support/oidc_provider.py with its settings in the environment:
//   OIDC_PROVIDER_MODULE  file URL of oidc-provider's entry point (installed by the tests)
//   OIDC_PORT             port on 127.0.0.1 (the issuer is http://127.0.0.1:<port>)
//   OIDC_CLIENT           JSON {client_id, client_secret, redirect_uris}
//   OIDC_ACCOUNTS         JSON {login: {email, name, groups}}
// Its own development login form accepts a login and a password; consent is granted
// for the one registered client (a first-party application), so no consent page.
const { default: Provider } = await import(process.env.OIDC_PROVIDER_MODULE);

const port = Number(process.env.OIDC_PORT);
const client = JSON.parse(process.env.OIDC_CLIENT);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);
const scopes = 'openid email profile groups';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: scopes.split(' '),
  claims: {
    openid: ['sub'],
    email: ['email'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  cookies: { keys: ['ledger-test-provider-cookie-key'] },
  // Scope claims (groups) in the ID token too, as IdPs configured for groups do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const known = accounts[id] || {};
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, ...known };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(scopes);
    grant.addOIDCClaims(['email', 'name', 'preferred_username', 'groups']);
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${port}\n`);
});
