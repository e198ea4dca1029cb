/**
 * Credentials for the fleet's TLS and `.creds` tests, made here rather than checked in: a certificate authority with
 * a server and a client certificate (openssl), and a NATS operator, account and user signed with real nkeys (the
 * decentralised JWT auth a `.creds` file belongs to).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { tempDir } from "./fs-fixtures.js";

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second, unrelated authority: a client that trusts only it must refuse the server. */
  otherCa: string;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${run.stderr}`);
}

function authority(dir: string, name: string): void {
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`].concat([
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
    ]),
    dir,
  );
}

function signed(dir: string, name: string, extensions: string): void {
  openssl(
    ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`],
    dir,
  );
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(
    ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2"].concat(
      ["-extfile", `${name}.ext`, "-out", `${name}.pem`],
    ),
    dir,
  );
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it; and another CA. */
export function makeTlsFiles(): TlsFiles {
  const dir = tempDir("cao-nats-tls-");
  authority(dir, "ca");
  authority(dir, "other-ca");
  signed(dir, "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  signed(dir, "client", "extendedKeyUsage=clientAuth\n");
  const file = (name: string) => path.join(dir, name);
  return {
    ca: file("ca.pem"),
    serverCert: file("server.pem"),
    serverKey: file("server.key"),
    clientCert: file("client.pem"),
    clientKey: file("client.key"),
    otherCa: file("other-ca.pem"),
  };
}

const base64url = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");

/** A NATS JWT (ed25519-nkey), signed by `issuer`, about `subject`. */
function natsJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = {
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  // The id of a claim set is the hash of the claims without it, as NATS's own tools make it.
  claims.jti = createHash("sha256").update(JSON.stringify(claims)).digest("base64url").slice(0, 52);
  const head = `${base64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }))}.${base64url(JSON.stringify(claims))}`;
  return `${head}.${base64url(issuer.sign(Buffer.from(head)))}`;
}

export interface OperatorFiles {
  /** nats-server configuration (operator mode, the account preloaded with JetStream limits). */
  config: string;
  /** A `.creds` file of a user of that account. */
  creds: string;
  /** A `.creds` file of a user signed by another account's key, which the server does not know. */
  strangerCreds: string;
}

function credsFile(file: string, jwt: string, user: KeyPair): void {
  const seed = new TextDecoder().decode(user.getSeed());
  fs.writeFileSync(
    file,
    `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
      `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
    { mode: 0o600 },
  );
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };

/**
 * An operator, one account with JetStream, and users: what `nsc` would make, signed with real nkeys. The server
 * gets JetStream and its store directory from startNatsServer's `-js -sd`.
 */
export function makeOperatorFiles(): OperatorFiles {
  const dir = tempDir("cao-nats-operator-");
  const operator = createOperator();
  const account = createAccount();
  const stranger = createAccount();
  // JetStream in operator mode needs a system account for its internal subscriptions.
  const system = createAccount();
  const operatorJwt = natsJwt(operator, operator.getPublicKey(), "cao-test-operator", {
    type: "operator",
    system_account: system.getPublicKey(),
  });
  const systemJwt = natsJwt(operator, system.getPublicKey(), "SYS", {
    type: "account",
    limits: { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
  });
  const accountJwt = natsJwt(operator, account.getPublicKey(), "cao-test-account", {
    type: "account",
    limits: {
      ...UNLIMITED,
      imports: -1,
      exports: -1,
      wildcards: true,
      conn: -1,
      leaf: -1,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
    default_permissions: { pub: {}, sub: {} },
  });
  const userJwt = (issuer: KeyPair, user: KeyPair) =>
    natsJwt(issuer, user.getPublicKey(), "cao-test-user", { type: "user", pub: {}, sub: {}, ...UNLIMITED });
  const user = createUser();
  const strangerUser = createUser();
  fs.writeFileSync(path.join(dir, "operator.jwt"), operatorJwt);
  credsFile(path.join(dir, "user.creds"), userJwt(account, user), user);
  credsFile(path.join(dir, "stranger.creds"), userJwt(stranger, strangerUser), strangerUser);
  fs.writeFileSync(
    path.join(dir, "server.conf"),
    [
      `operator: ${JSON.stringify(path.join(dir, "operator.jwt"))}`,
      "resolver: MEMORY",
      `system_account: ${system.getPublicKey()}`,
      `resolver_preload: { ${account.getPublicKey()}: ${JSON.stringify(accountJwt)}, ${system.getPublicKey()}: ${JSON.stringify(systemJwt)} }`,
      "",
    ].join("\n"),
  );
  return {
    config: path.join(dir, "server.conf"),
    creds: path.join(dir, "user.creds"),
    strangerCreds: path.join(dir, "stranger.creds"),
  };
}
