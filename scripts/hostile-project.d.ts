/** Types of scripts/hostile-project.js, for the tests that import it. */
export declare const HOSTILE_KEY: string;
export declare const HOSTILE_FILE: string;
export declare function writeHostileProject(): string;
