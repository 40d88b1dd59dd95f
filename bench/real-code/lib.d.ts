export interface LockEntry { name: string; id: string; kind: "mutex" | "rwlock" | "keyed"; library?: string; created?: string }
export interface Span { file: string; line: number; column?: number }
export interface Finding { ruleId: string; level: string; location: Span; chain?: { location: Span }[]; suppressed?: unknown }
export function lockOrderFile(locks: LockEntry[], order: string[]): { locks: { id: string; target: string; kind: string }[] };
export function invertOrder(order: string[]): string[];
export function matchLocks(expected: string[], found: string[]): { found: string[]; missed: string[]; extra: string[] };
export function siteOf(location: Span): string;
export function matchNestingSites(sites: string[], findings: Finding[]): { reported: string[]; missed: string[] };
export function countFindings(findings: Finding[]): { falseFindings: Finding[]; suffix: number; other: number };
export function eslintByRule(results: { messages: { ruleId: string | null; fatal?: boolean }[] }[]): Record<string, number>;
export const MINIMAL_TSCONFIG: { compilerOptions: Record<string, unknown>; include: string[] };
export function table(header: string[], rows: (string | number)[][]): string;
