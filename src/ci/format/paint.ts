/** ANSI styles for terminal output, applied only when colour is on (a TTY, NO_COLOR unset). */
const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;
export type Paint = (style: Style, s: string) => string;

export function painter(color: boolean | undefined): Paint {
  return (style, s) => (color ? `\u001b[${CODES[style]}m${s}\u001b[0m` : s);
}
