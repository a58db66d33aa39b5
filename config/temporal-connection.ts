import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type AppConfig } from './env';

/** How every process reaches Temporal: address, and mTLS or an API key when the server requires them. */
export interface TemporalConnectionSettings {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

const readPem = (variable: string, file: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(
      `invalid environment:\n  - ${variable}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
};

/** Built once from the validated config; the files are read here, so a bad path fails at start, naming its variable. */
export function temporalConnection(
  config: Pick<
    AppConfig,
    'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
  >,
): TemporalConnectionSettings {
  const mtls = config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY;
  const tlsWanted = Boolean(mtls || config.TEMPORAL_TLS_CA || config.TEMPORAL_API_KEY);
  const tls: TLSConfig | undefined = tlsWanted
    ? {
        serverRootCACertificate: config.TEMPORAL_TLS_CA ? readPem('TEMPORAL_TLS_CA', config.TEMPORAL_TLS_CA) : undefined,
        clientCertPair: mtls
          ? { crt: readPem('TEMPORAL_TLS_CERT', config.TEMPORAL_TLS_CERT!), key: readPem('TEMPORAL_TLS_KEY', config.TEMPORAL_TLS_KEY!) }
          : undefined,
        serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
      }
    : undefined;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(tls ? { tls } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
