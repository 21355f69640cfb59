import { XenstoreError } from '../protocol/errors.ts';
import type { Frame } from '../protocol/frame.ts';
import { checkStore } from '../store/check.ts';
import { type QuotaName, quotaName } from '../store/quota.ts';
import { atoi, splitStrings } from './args.ts';
import { OK, type Operation, type Reply, type Services, type Session } from './context.ts';

type Command = {
	usage: string;
	/** Arguments beyond this count are not split out (live-update passes binary-safe strings). */
	maxArgs?: number;
	run(services: Services, session: Session, args: string[], request: Frame): Reply | Promise<Reply>;
};

const DESCRIPTIONS: Record<QuotaName, string> = {
	nodes: 'Nodes per domain',
	watches: 'Watches per domain',
	transactions: 'Transactions per domain',
	outstanding: 'Outstanding requests per domain',
	'transaction-nodes': 'Max. number of accessed nodes per transaction',
	memory: 'Total Xenstore memory per domain (error level)',
	'node-size': 'Max. size of a node',
	'path-max': 'Max. length of a node path',
	permissions: 'Max. number of permissions per node',
};

const line = (name: string, value: number, descr: string) =>
	`${name.padEnd(17)}: ${String(value).padStart(8)} ${descr}\n`;

function noArgs(args: string[]): void {
	if (args.length !== 0) throw new XenstoreError('EINVAL', 'this command takes no argument');
}

function oneArg(args: string[]): string {
	if (args.length !== 1) throw new XenstoreError('EINVAL', 'this command takes one argument');
	return args[0]!;
}

function setValue(args: string[]): { name: string; value: number } {
	if (args.length !== 2) throw new XenstoreError('EINVAL', 'set takes a name and a value');
	const value = atoi(args[1]!);
	if (value < 1) throw new XenstoreError('EINVAL', `invalid quota value "${args[1]}"`);
	return { name: args[0]!, value };
}

const ORDER: QuotaName[] = [
	'nodes',
	'watches',
	'transactions',
	'outstanding',
	'transaction-nodes',
	'memory',
	'node-size',
	'path-max',
	'permissions',
];

const commands: Record<string, Command> = {
	check: {
		usage: '',
		run({ store, control }, _s, args) {
			noArgs(args);
			for (const problem of checkStore(store)) control.print(`check: ${problem}`);
			return OK;
		},
	},
	log: {
		usage: 'on|off',
		run({ control }, _s, args) {
			const a = oneArg(args);
			if (a !== 'on' && a !== 'off') throw new XenstoreError('EINVAL', 'log takes on or off');
			control.setTraceLog(a === 'on');
			return OK;
		},
	},
	'live-update': {
		usage: '[-c <cmdline>] [-F] [-t <timeout>] <file>\n    Default timeout is 60 seconds.',
		maxArgs: 4,
		run: async ({ control }, session, args, { reqId, txId }) =>
			`${await control.liveUpdate(session, args, reqId, txId)}\0`,
	},
	logfile: {
		usage: '<file>',
		run({ control }, _s, args) {
			control.setTraceFile(oneArg(args));
			return OK;
		},
	},
	memreport: {
		usage: '[<file>]',
		run({ control }, _s, args) {
			if (args.length > 1) throw new XenstoreError('EINVAL', 'memreport takes at most a file');
			if (!control.memoryReport(args[0]))
				throw new XenstoreError('EINVAL', 'no log file to write the report to');
			return OK;
		},
	},
	print: {
		usage: '<string>',
		run({ control }, _s, args) {
			control.print(`control: ${oneArg(args)}`);
			return OK;
		},
	},
	quota: {
		usage: '[set <name> <val>|<domid>]',
		run(services, _s, args) {
			const { store } = services;
			if (args.length === 0) {
				return `Quota settings:\n${ORDER.map((q) => line(q, store.quotas[q], DESCRIPTIONS[q])).join('')}\0`;
			}
			if (args[0] === 'set') {
				const { name, value } = setValue(args.slice(1));
				const q = quotaName(name);
				if (q === undefined) throw new XenstoreError('EINVAL', `unknown quota "${name}"`);
				store.quotas[q] = value;
				return OK;
			}
			const domid = atoi(oneArg(args));
			const usage = services.control.domainUsage(domid);
			if (usage === undefined) throw new XenstoreError('ENOENT', `domain ${domid} is not known`);
			const entry = (n: string, v: number) => `${n.padEnd(16)}: ${String(v).padStart(8)}\n`;
			return (
				`Domain ${domid}:\n${entry('nodes', store.ownedBy(domid))}${entry('watches', usage.watches)}` +
				`${entry('transactions', usage.transactions)}${entry('outstanding', usage.outstanding)}` +
				`${entry('memory', usage.memory)}\0`
			);
		},
	},
	'quota-soft': {
		usage: '[set <name> <val>]',
		run(services, _s, args) {
			const q = services.store.softQuotas;
			if (args.length === 0) {
				return `Quota settings:\n${line('memory', q.memory, 'Total Xenstore memory per domain (warning level)')}\0`;
			}
			if (args[0] !== 'set') throw new XenstoreError('EINVAL', 'quota-soft takes no argument or set');
			const { name, value } = setValue(args.slice(1));
			if (name !== 'memory') throw new XenstoreError('EINVAL', `unknown soft quota "${name}"`);
			q.memory = value;
			return OK;
		},
	},
	help: {
		usage: '',
		run(_services, _s, args) {
			noArgs(args);
			return `${Object.entries(commands)
				.map(([name, c]) => `${name}\t${c.usage}\n`)
				.join('')}\0`;
		},
	},
};

/**
 * CONTROL `cmd\0[arg\0...]`: daemon administration for dom0 (`xenstore-control`). Replies are
 * text, in the formats of C xenstored 4.17 so that scripts reading them carry over.
 */
export const control: Operation = (services, session, request) => {
	const { payload } = request;
	const args = splitStrings(payload);
	const name = args[0];
	if (name === undefined) throw new XenstoreError('EINVAL', 'CONTROL needs a command');
	const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
	if (cmd === undefined) throw new XenstoreError('EINVAL', `unknown control command "${name}"`);
	const rest = args.slice(1, cmd.maxArgs === undefined ? undefined : cmd.maxArgs + 1);
	return cmd.run(services, session, rest, request);
};
