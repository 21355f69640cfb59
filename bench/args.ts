/** Reading the benchmark commands' option values (`npm run bench`, `npm run soak`). */

/** A whole number of at least 1, or an error naming the option. */
export function positiveInt(name: string, text: string): number {
	const n = Number(text);
	if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a whole number >= 1, not ${text}`);
	return n;
}

/** A comma-separated list, blanks around items and empty items left out. */
export function list(text: string): string[] {
	return text
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
}
