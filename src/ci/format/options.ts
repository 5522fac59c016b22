/** What the caller tells a renderer about where its output goes. */
export interface RenderOptions {
  /** ANSI colours in `text`: the CLI passes true only on a TTY with NO_COLOR unset. */
  color?: boolean;
  /** When the report was made (JUnit's timestamp); now by default. */
  now?: Date;
  /** The host the check ran on (JUnit's hostname); the machine's name by default. */
  hostname?: string;
  /** iamsim's version, for SARIF's tool.driver.version. */
  version?: string;
}
