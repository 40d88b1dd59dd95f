// Used by the `target` rule's typed tests: a class declared in another file of the typed project.
export class Pool {
  readonly connection = { runExclusive: async <T>(fn: () => T): Promise<T> => fn() };
}
