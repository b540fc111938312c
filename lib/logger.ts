import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/**
 * Structured JSON logs (pino). Signatures, keys and bodies are redacted wherever they appear;
 * callers log ids and outcomes, never data values or shares.
 */
export function createLogger(options: { service: string; level?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? "info",
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "*.signature",
          "*.privateKey",
          "*.privateKeyPem",
          "*.share",
          "*.partial",
          "*.body",
          "headers.signature",
          "headers.authorization",
        ],
        censor: "[redacted]",
      },
    },
    options.destination,
  );
}
