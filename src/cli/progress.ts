/** A progress bar on stderr, drawn only when stderr is a terminal, and at most every 100 ms. */
export type ProgressFn = (done: number, total: number) => void;

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { tick: ProgressFn; end: () => void } {
  if (!stream.isTTY) return { tick: () => undefined, end: () => undefined };
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : width;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
    drawn = true;
  };
  return {
    tick(done, total) {
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now;
      draw(done, total);
    },
    end() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
