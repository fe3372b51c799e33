// A connector whose query answers after a 1 ms timer (no socket, no server): isolates the pool's own cost.
export async function connect(): Promise<unknown> {
  let closed = false;
  return {
    query: () => new Promise((resolve) => setTimeout(() => resolve([[{ 1: 1 }], []]), 1)),
    applySetting: async () => {},
    resetSetting: async () => {},
    close: () => { closed = true; },
    isClosed: () => closed,
  };
}
