/** The command line of `xenstore-stream`: arguments, help texts, exit codes. */
import { parseArgs } from 'node:util';
import { InputFormatError } from '../input.ts';
import { JsonFormError } from '../json.ts';
import { EncodeError, StreamError } from '../problems.ts';
import * as commands from './commands.ts';
import { type Io, LossError, UsageError } from './commands.ts';

const LENIENT = '  --lenient          pass over problems a lenient read may skip (listed on stderr)\n';
const INPUTS =
	'FILE may be a binary migration stream, an oxenstored text dump or the JSON form;\nthe format is detected from its first bytes.\n';

const HELP: Record<string, string> = {
	'': `Usage: xenstore-stream COMMAND [OPTIONS] ARGS

Read, check, compare and convert xenstore migration streams and oxenstored dumps.

Commands:
  show FILE              one line per record; nodes as xenstore-ls -f -p shows them
  json FILE              the JSON form of FILE, on stdout
  from-json FILE OUT     write the binary stream that a JSON form describes
  check FILE             exit 0 if FILE is valid, else 1 after listing every problem
  diff A B               what differs between two states; exit 1 if anything does
  convert IN OUT         write IN as a binary stream (other version or byte order)
  stats FILE             counts and sizes by record type

Run 'xenstore-stream COMMAND --help' for a command's options.
${INPUTS}`,
	show: `Usage: xenstore-stream show [--offsets] [--lenient] FILE

Print one line per record: GLOBAL_DATA, each connection, watch and transaction, then nodes as
'xenstore-ls -f -p' prints them: path = "value"  (perms), with unprintable bytes escaped.
Transaction nodes are prefixed with [conn=N tx=M access]. Stale perms read as r5:stale.

  --offsets          start each line with the record's byte offset (a text dump: the line's)
${LENIENT}${INPUTS}`,
	json: `Usage: xenstore-stream json [--lenient] FILE

Print the JSON form of FILE: {"xenstoreMigrationStream":1, "source", "version", "endian",
"records": [...]}, one record per line. Byte strings are JSON strings when every byte is
printable ASCII, else {"base64": "..."}; perms read "r5" or "r5:stale"; 64-bit numbers are
decimal strings. 'from-json' turns it back into the same stream.

${LENIENT}${INPUTS}`,
	'from-json': `Usage: xenstore-stream from-json [--version 1|2] [--endian little|big] [--lossy] FILE OUT

Write the binary stream that the JSON form FILE describes to OUT, in the version and byte order
it names unless told otherwise. The records are checked as a reader would check them.

  --version 1|2        stream version to write
  --endian little|big  byte order of the records
  --lossy              allow dropping what the version cannot hold (watch depth, features)
`,
	check: `Usage: xenstore-stream check FILE

Read FILE strictly and list every problem found, each with its byte offset, record index and
type, and what is wrong. Exit 0 when there is none, 1 otherwise.
${INPUTS}`,
	diff: `Usage: xenstore-stream diff [--lenient] A B

List what differs between the states in A and B: nodes (value, perms), transaction nodes,
connections (matched by domain or socket fd, not by conn-id), watches, transactions, global data,
global quotas and domains. Lines start with - (only in A), + (only in B) or ~ (changed).
Exit 0 when the states are the same, 1 when they differ.

${LENIENT}${INPUTS}`,
	convert: `Usage: xenstore-stream convert [--version 1|2] [--endian little|big] [--lossy] [--lenient] IN OUT

Write the state in IN as a binary migration stream to OUT, record by record, in IN's order.
By default the version and byte order are IN's (an oxenstored dump: version 1, this host's
byte order). What the output cannot hold stops the conversion unless --lossy is given;
fields it has no place for and does not need (oxenstored's mfn and ports) are named on stderr.

  --version 1|2        stream version to write
  --endian little|big  byte order of the records
  --lossy              drop watch depths and domain features when writing version 1
${LENIENT}${INPUTS}`,
	stats: `Usage: xenstore-stream stats [--lenient] FILE

Print how many records of each type FILE holds and their sizes in bytes (record header, body
and padding; for an oxenstored dump, the bytes of its lines), plus totals.

${LENIENT}${INPUTS}`,
};

const OPTIONS = {
	help: { type: 'boolean', short: 'h' },
	lenient: { type: 'boolean' },
	offsets: { type: 'boolean' },
	lossy: { type: 'boolean' },
	version: { type: 'string' },
	endian: { type: 'string' },
} as const;

const ALLOWED: Record<string, readonly string[]> = {
	show: ['lenient', 'offsets'],
	json: ['lenient'],
	'from-json': ['version', 'endian', 'lossy'],
	check: [],
	diff: ['lenient'],
	convert: ['version', 'endian', 'lossy', 'lenient'],
	stats: ['lenient'],
};

const ARITY: Record<string, number> = {
	show: 1,
	json: 1,
	'from-json': 2,
	check: 1,
	diff: 2,
	convert: 2,
	stats: 1,
};

function versionOf(v: string | undefined) {
	if (v === undefined) return undefined;
	if (v !== '1' && v !== '2') throw new UsageError(`--version must be 1 or 2, not ${v}`);
	return Number(v) as 1 | 2;
}

function endianOf(v: string | undefined) {
	if (v === undefined) return undefined;
	if (v !== 'little' && v !== 'big') throw new UsageError(`--endian must be little or big, not ${v}`);
	return v;
}

async function main(argv: string[], io: Io): Promise<number> {
	const [command = '', ...rest] = argv;
	if (command === '' || command === '--help' || command === '-h' || command === 'help') {
		io.stdout.write(HELP[rest[0] ?? ''] ?? HELP['']!);
		return command === '' ? 2 : 0;
	}
	const help = HELP[command];
	if (help === undefined || command === '')
		throw new UsageError(`unknown command ${JSON.stringify(command)}`);
	const { values, positionals } = parseArgs({
		args: rest,
		options: OPTIONS,
		allowPositionals: true,
		strict: true,
	});
	if (values.help) {
		io.stdout.write(help);
		return 0;
	}
	for (const key of Object.keys(values)) {
		if (!ALLOWED[command]!.includes(key)) throw new UsageError(`${command} takes no --${key}`);
	}
	if (positionals.length !== ARITY[command]) {
		throw new UsageError(
			`${command} takes ${ARITY[command]} file argument${ARITY[command] === 1 ? '' : 's'}`,
		);
	}
	const [a = '', b = ''] = positionals;
	const lenient = values.lenient === true;
	switch (command) {
		case 'show':
			return commands.show(a, { io, lenient, offsets: values.offsets === true });
		case 'json':
			return commands.json(a, { io, lenient });
		case 'from-json':
		case 'convert':
			return commands.convert(a, b, {
				io,
				lenient,
				lossy: values.lossy === true,
				version: versionOf(values.version),
				endian: endianOf(values.endian),
				requireFormat: command === 'from-json' ? 'json' : undefined,
			});
		case 'check':
			return commands.check(a, { io });
		case 'diff':
			return commands.diff(a, b, { io, lenient });
		default:
			return commands.stats(a, { io, lenient });
	}
}

/**
 * Run the tool with these arguments; resolves to the exit code: 0 done (or valid, or the same),
 * 1 invalid input, differing states or a refused conversion, 2 bad usage.
 */
export async function runTool(argv: string[], io: Io): Promise<number> {
	try {
		return await main(argv, io);
	} catch (e) {
		const usage =
			e instanceof UsageError ||
			(e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'));
		const known = [StreamError, EncodeError, InputFormatError, JsonFormError, LossError].some(
			(k) => e instanceof k,
		);
		const ioError = e instanceof Error && 'code' in e && typeof e.code === 'string' && 'path' in e;
		if (!usage && !known && !ioError) throw e;
		io.stderr.write(
			`xenstore-stream: ${(e as Error).message}\n${usage ? "Run 'xenstore-stream --help' for usage.\n" : ''}`,
		);
		return usage ? 2 : 1;
	}
}
