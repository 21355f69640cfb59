/**
 * The oldest Node.js the programs run on, as package.json's `engines` says. An older one starts
 * them, then fails on what it lacks: Node.js 20 serves requests until a node's child list first
 * outgrows its table (ArrayBuffer.prototype.transfer), then answers EIO to every write there.
 */
export const OLDEST_NODE: readonly [number, number] = [22, 15];

/** Why `version` (such as `20.20.2`) cannot run the programs; undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
	const [major = 0, minor = 0] = version.split('.').map(Number);
	const [needMajor, needMinor] = OLDEST_NODE;
	if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
	return (
		`Node.js ${version} is too old: ${needMajor}.${needMinor} or later is needed. ` +
		'`npm install` brings a current one into node_modules/.bin (`npm start` uses it).'
	);
}
