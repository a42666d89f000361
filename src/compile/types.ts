/** A module the agent can import by a bare name (e.g. `@runbyte/fs`), implemented by a real .ts file. */
export interface ExtraModule {
  specifier: string;
  /** The .ts file that implements it; it is type-checked and bundled like the SDK. */
  hostPath: string;
}
