/**
 * A small project whose names are markup, for the escaping tests (test/analyzer/escaping.test.ts) and
 * scripts/check-html.js: a source file whose name holds `<`, `>`, `|` and backticks, and a keyed lock
 * taken twice with the string literal key "<img src=x onerror=alert(1)>" (a no-recursion finding
 * whose message and chain quote the key as written), then a declared lock out of order and two
 * undeclared ones, a field and a module variable whose lock key holds the file name (order and
 * undeclared-lock findings; graph nodes and edges named and sited in that file).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const HOSTILE_KEY = "<img src=x onerror=alert(1)>";
export const HOSTILE_FILE = "src/jobs<1>|`main`.ts";

const SOURCE = `import { KeyedLocks, Mutex, RwLock } from "./locks.js";

const registry = new Mutex();

export class RumorStore {
  readonly list = new RwLock();
  readonly stray = new Mutex();
}

export class JobLocks {
  readonly locks = new KeyedLocks();

  constructor(private readonly store: RumorStore) {}

  /** @acquires job */
  async retry_job(): Promise<void> {
    const release = await this.locks.acquire(${JSON.stringify(HOSTILE_KEY)});
    try {
      const again = await this.locks.acquire(${JSON.stringify(HOSTILE_KEY)});
      again();
      const unlock = await this.store.list.write();
      unlock();
      const stray = await this.store.stray.acquire();
      stray();
      const registered = await registry.acquire();
      registered();
    } finally {
      release();
    }
  }
}
`;

/** Writes the project into a new temporary folder and returns that folder (the caller removes it). */
export function writeHostileProject() {
  const dir = mkdtempSync(join(tmpdir(), "lock-audit-hostile-"));
  mkdirSync(join(dir, "src"));
  copyFileSync(fileURLToPath(new URL("../fixtures/audit/shared/locks.ts", import.meta.url)), join(dir, "src/locks.ts"));
  writeFileSync(join(dir, HOSTILE_FILE), SOURCE);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: true, types: [] },
      include: ["src"],
    }),
  );
  writeFileSync(
    join(dir, "lock-order.json"),
    JSON.stringify({
      locks: [
        { id: "rs", target: "RumorStore.list", kind: "rwlock" },
        { id: "job", target: "JobLocks.locks", kind: "keyed" },
      ],
    }),
  );
  return dir;
}
