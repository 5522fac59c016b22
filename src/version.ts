/** The version the API (GET /healthz) and the CLI (--version, SARIF) report: package.json's. */
export const VERSION = '0.1.0';
