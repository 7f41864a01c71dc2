/**
 * Runs a development issuer (./dev-issuer.ts) as a process of its own, for callers that cannot import ES modules
 * (jest workers): options as JSON in FAAS_GRIP_DEV_ISSUER, one JSON line `{"issuer":...,"jwksUri":...,"clientId":...}`
 * on stdout once it listens, stopped by SIGTERM.
 */
import { type DevIssuerOptions, startDevIssuer } from './dev-issuer';

async function main(): Promise<void> {
  const options = JSON.parse(process.env.FAAS_GRIP_DEV_ISSUER ?? '{}') as DevIssuerOptions;
  const issuer = await startDevIssuer(options);
  process.stdout.write(
    `${JSON.stringify({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, clientId: issuer.clientId })}\n`,
  );
  const stop = () => void issuer.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev issuer: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
