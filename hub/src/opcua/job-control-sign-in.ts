import { X509Certificate } from 'node:crypto';
import {
  type EndpointDescription,
  OPCUAServer,
  type OPCUAServerOptions,
  type ServerSecureChannelLayer,
  type ServerSession,
  type SignatureData,
  type StatusCode,
  StatusCodes,
  type UserIdentityToken,
  X509IdentityToken,
} from 'node-opcua';
import type { Principal } from '../core/principal.js';

/** What a session signed in with, checked again at each call. */
export type SessionCredential = { key: string } | { certificate: Buffer };

/** How the face decides who signs in (ADR 0038): hub API keys as passwords, trusted X.509 user certificates. */
export interface JobControlSignIn {
  /** The principal of an API key presented at sign-in from `address`; throws when refused or throttled. */
  withKey(key: string, address: string): Promise<Principal>;
  /** The principal a user certificate (its DER) acts as; null when it is not trusted or its key is not usable. */
  certificate(der: Buffer): Promise<Principal | null>;
  /** Seconds `address` waits after too many refused sign-ins (0: it may try now). */
  waitFor(address: string): number;
  /** Counts a refused sign-in from `address`. */
  failed(address: string): void;
  /** The session's principal at a call; null (or a throw) when its key or certificate is no longer good. */
  again(credential: SessionCredential): Promise<Principal | null>;
}

type Verdict = (err: Error | null, statusCode?: StatusCode) => void;

/**
 * node-opcua's server with the hub's sign-in: a user name and password is an API key (the user manager), an
 * X.509 user token is let in when node-opcua verified the client holds the certificate's key (its signature over
 * the server nonce) and the hub's trust list maps the certificate to a usable API key. Refused sign-ins count
 * per address like the HTTP side's failed authentications (one budget per replica, shared with it).
 */
export class JobControlOpcuaServer extends OPCUAServer {
  constructor(
    options: OPCUAServerOptions,
    private readonly signIn: JobControlSignIn,
    private readonly signedIn: (session: ServerSession, credential: SessionCredential, principal: Principal) => void,
  ) {
    super({
      ...options,
      userManager: {
        // The user name is free (e.g. the key's name); the password is the hub API key.
        isValidUserAsync(this: ServerSession, _user: string, password: string, done) {
          signIn.withKey(password, addressOf(this.channel)).then(
            (principal) => {
              signedIn(this, { key: password }, principal);
              done(null, true);
            },
            () => done(null, false),
          );
        },
      },
      // Instead of node-opcua's folder of trusted user certificates: the trust list is in the database, decided
      // below; this only refuses certificates outside their validity period.
      userCertificateManager: validityCheck as never,
    });
  }

  protected override isValidUserIdentityToken(
    channel: ServerSecureChannelLayer,
    session: ServerSession,
    token: UserIdentityToken,
    signature: SignatureData,
    endpoint: EndpointDescription,
    verdict: Verdict,
  ): void {
    if (!(token instanceof X509IdentityToken)) {
      super.isValidUserIdentityToken(channel, session, token, signature, endpoint, verdict);
      return;
    }
    const address = addressOf(channel);
    if (this.signIn.waitFor(address) > 0) {
      verdict(null, StatusCodes.BadUserAccessDenied);
      return;
    }
    super.isValidUserIdentityToken(channel, session, token, signature, endpoint, (err, status) => {
      if (err || !status || status.isNotGood()) {
        if (!err) this.signIn.failed(address);
        verdict(err, status);
        return;
      }
      const der = token.certificateData!;
      this.signIn.certificate(der).then(
        (principal) => {
          if (!principal) {
            this.signIn.failed(address);
            verdict(null, StatusCodes.BadIdentityTokenRejected);
            return;
          }
          this.signedIn(session, { certificate: der }, principal);
          verdict(null, StatusCodes.Good);
        },
        (failure: Error) => verdict(failure),
      );
    });
  }
}

/** The peer's address as the HTTP side writes it (an IPv4 peer of a dual-stack socket without its `::ffff:`). */
const addressOf = (channel: { remoteAddress?: string } | null | undefined) =>
  (channel?.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/** The part of node-opcua's certificate manager the server uses for user certificates. */
const validityCheck = {
  initialize: async () => {},
  dispose: async () => {},
  checkCertificate(der: Buffer, done: (err: Error | null, status?: StatusCode) => void) {
    let status: StatusCode;
    try {
      const certificate = new X509Certificate(der);
      const now = Date.now();
      const valid = new Date(certificate.validFrom).getTime() <= now && now < new Date(certificate.validTo).getTime();
      status = valid ? StatusCodes.Good : StatusCodes.BadCertificateTimeInvalid;
    } catch {
      status = StatusCodes.BadCertificateInvalid;
    }
    setImmediate(() => done(null, status));
  },
};
