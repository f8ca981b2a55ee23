// An OpenID provider for the sign-in tests: the oidc-provider library (real discovery, JWKS, signed
// ID tokens, PKCE), on 127.0.0.1. Its login needs no browser: POST /interaction/:uid/login with
// `account=<id>` signs that invented account in (the one "factor" of the test); consent is implied.
//
//   PROVIDER_PORT=<port> PROVIDER_REDIRECT_URI=<the RP's callback> node server.js
//
// Prints "ready <issuer>" on standard output once it listens.

import http from 'node:http';
import { Provider } from 'oidc-provider';

const port = Number(process.env.PROVIDER_PORT);
const issuer = `http://127.0.0.1:${port}`;

export const TWO = 'http://id.example.test/loa3';  // two factors (as an identity provider's LoA 3)
export const ONE = 'http://id.example.test/loa2';  // one factor

// Invented people. acr and amr are what the provider says of the sign-in; employeeHsaId is an
// HSA-id-like claim (invented, never a real one).
const ACCOUNTS = {
  'anna-two-factor': { acr: TWO, amr: ['pwd', 'otp'], employeeHsaId: 'SE0000000000-T0001' },
  'bo-one-factor': { acr: ONE, amr: ['pwd'], employeeHsaId: 'SE0000000000-T0002' },
  'cilla-unknown': { acr: TWO, amr: ['pwd', 'hwk'], employeeHsaId: 'SE0000000000-T0099' },
  'dan-hardware-key': { acr: ONE, amr: ['pwd', 'hwk'], employeeHsaId: 'SE0000000000-T0004' },
  'eva-disabled': { acr: TWO, amr: ['pwd', 'otp'], employeeHsaId: 'SE0000000000-T0005' },
};

const configuration = {
  clients: [
    {
      client_id: 'screening',
      client_secret: 'test-secret-of-the-screening-client-0001',
      redirect_uris: [process.env.PROVIDER_REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {  // another application of the region's: its ID tokens are not for the screening client
      client_id: 'other-app',
      client_secret: 'test-secret-of-another-application-0002',
      redirect_uris: ['http://other-app.example.test/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, employeeHsaId: account.employeeHsaId };
      },
    };
  },
  claims: { openid: ['sub', 'employeeHsaId', 'acr', 'amr'] },
  conformIdTokenClaims: false,  // the scope's claims in the ID token, as Inera's IdP puts them
  acrValues: [TWO, ONE],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['test-only-cookie-key-not-a-secret'] },
  async loadExistingGrant(ctx) {  // consent implied: every client here is the region's own
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    await grant.save();
    return grant;
  },
  ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
};

const provider = new Provider(issuer, configuration);
const oidc = provider.callback();

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {  // the login form, for a person; the tests post it
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<form method="post" action="/interaction/${uid}/login"><input name="account"><button>Sign in</button></form>`);
    return;
  }
  if (action !== 'login') throw new Error('unknown interaction');
  const body = new URLSearchParams(await text(req));
  const id = body.get('account');
  const account = ACCOUNTS[id];
  if (!account) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'unknown account' });
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: id, acr: account.acr, amr: account.amr } },
    { mergeWithLastSubmission: false });
}

function text(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const server = http.createServer((req, res) => {
  const found = /^\/interaction\/([^/?]+)(?:\/(login))?/.exec(req.url);
  if (!found) {
    oidc(req, res);
    return;
  }
  interaction(req, res, found[1], found[2]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(String(error && error.message));
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
