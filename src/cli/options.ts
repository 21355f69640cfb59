import { parseArgs } from 'node:util';
import { SUCCESSOR_MARKER } from '../liveupdate/target.ts';
import type { Quotas } from '../store/quota.ts';
import { quotaName } from '../store/quota.ts';

/**
 * The command line of C xenstored, with the same meanings, so that tsxenstored drops into its
 * place (init scripts, systemd units, live update from C, which re-runs the original arguments plus
 * -U). oxenstored's options are accepted too, since it execs its successor with its own arguments.
 */
export interface Options {
	noFork: boolean;
	pidFile: string | undefined;
	outputPid: boolean;
	traceFile: string | undefined;
	quotas: Partial<Quotas>;
	softMemoryQuota: number | undefined;
	watchEventTimeout: number | undefined;
	keepOrphans: boolean;
	verbose: boolean;
	liveUpdate: boolean;
	help: boolean;
	/** Taking over from oxenstored: read its text dump (`--live --restart`). */
	oxenstoredLive: boolean;
	oxenstoredConfig: string | undefined;
	/** Give each introduced domain a Unix socket standing for its ring (testing without Xen). */
	emulateDomains: boolean;
	/** Accepted options that change nothing here, with the reason, for the log. */
	ignored: string[];
}

export class UsageError extends Error {}

const spec = {
	'no-domain-init': { type: 'boolean', short: 'D' },
	'entry-nb': { type: 'string', short: 'E' },
	'pid-file': { type: 'string', short: 'F' },
	help: { type: 'boolean', short: 'H' },
	'internal-db': { type: 'boolean', short: 'I' },
	'internal-db-value': { type: 'string' },
	'keep-orphans': { type: 'boolean', short: 'K' },
	'no-fork': { type: 'boolean', short: 'N' },
	'output-pid': { type: 'boolean', short: 'P' },
	'entry-size': { type: 'string', short: 'S' },
	transaction: { type: 'string', short: 't' },
	'perm-nb': { type: 'string', short: 'A' },
	'path-max': { type: 'string', short: 'M' },
	quota: { type: 'string', short: 'Q', multiple: true },
	'quota-soft': { type: 'string', short: 'q', multiple: true },
	'trace-file': { type: 'string', short: 'T' },
	'no-recovery': { type: 'boolean', short: 'R' },
	verbose: { type: 'boolean', short: 'V' },
	'watch-nb': { type: 'string', short: 'W' },
	timeout: { type: 'string', short: 'w', multiple: true },
	'live-update': { type: 'boolean', short: 'U' },
	event: { type: 'string', short: 'e' },
	'master-domid': { type: 'string', short: 'm' },
	'priv-domid': { type: 'string', short: 'p' },
	// tsxenstored's own.
	'emulate-domains': { type: 'boolean' },
	// oxenstored's own options, for taking over from it.
	'config-file': { type: 'string' },
	live: { type: 'boolean' },
	restart: { type: 'boolean' },
	'reraise-top-level': { type: 'boolean' },
	'no-access-log': { type: 'boolean' },
	'config-test': { type: 'boolean' },
	'disable-socket': { type: 'boolean' },
} as const;

/** getopt's optional argument (`-Ioff`, `--internal-db=off`) has no parseArgs equivalent. */
function rewriteOptionalArgs(argv: string[]): string[] {
	return argv.map((a) => {
		const m = /^(?:-I|--internal-db=)(.+)$/.exec(a);
		return m ? `--internal-db-value=${m[1]}` : a;
	});
}

function number(name: string, value: string): number {
	if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1) {
		throw new UsageError(`invalid parameter value "${value}" for ${name}`);
	}
	return Number(value);
}

function assignment(what: string, arg: string): [string, number] {
	const eq = arg.indexOf('=');
	if (eq < 0) throw new UsageError(`${what} must be given as <what>=<value>, got "${arg}"`);
	return [arg.slice(0, eq), number(what, arg.slice(eq + 1))];
}

export function parseOptions(argv: string[]): Options {
	let parsed: ReturnType<typeof parseArgs<{ options: typeof spec; allowPositionals: true }>>;
	try {
		parsed = parseArgs({
			args: rewriteOptionalArgs(argv),
			options: spec,
			allowPositionals: true,
			strict: true,
		});
	} catch (e) {
		throw new UsageError((e as Error).message);
	}
	const v = parsed.values;
	if (parsed.positionals.length > 0)
		throw new UsageError(`no arguments desired, got "${parsed.positionals[0]}"`);
	const quotas: Partial<Quotas> = {};
	const ignored: string[] = [];
	if (v['entry-nb'] !== undefined) quotas.nodes = number('-E', v['entry-nb']);
	if (v['entry-size'] !== undefined) quotas['node-size'] = number('-S', v['entry-size']);
	if (v['watch-nb'] !== undefined) quotas.watches = number('-W', v['watch-nb']);
	if (v.transaction !== undefined) quotas.transactions = number('-t', v.transaction);
	if (v['perm-nb'] !== undefined) quotas.permissions = number('-A', v['perm-nb']);
	if (v['path-max'] !== undefined) quotas['path-max'] = Math.min(2048, number('-M', v['path-max']));
	for (const q of v.quota ?? []) {
		const [name, value] = assignment('-Q', q);
		const known = quotaName(name);
		if (known === undefined) throw new UsageError(`unknown quota "${name}"`);
		quotas[known] = value;
	}
	let softMemoryQuota: number | undefined;
	for (const q of v['quota-soft'] ?? []) {
		const [name, value] = assignment('-q', q);
		if (name !== 'memory') throw new UsageError(`unknown soft quota "${name}"`);
		softMemoryQuota = value;
	}
	let watchEventTimeout: number | undefined;
	for (const t of v.timeout ?? []) {
		const [name, value] = assignment('-w', t);
		if (name !== 'watch-event') throw new UsageError(`unknown timeout "${name}"`);
		watchEventTimeout = value;
	}
	if (v['no-domain-init']) ignored.push('-D (no domain init): there is no hypervisor domain to initialise');
	if (v['internal-db'] || v['internal-db-value'] !== undefined)
		ignored.push('-I: the database is always in memory');
	if (v['no-recovery']) ignored.push('-R: there is no on-disk store to recover');
	if (v.event !== undefined) ignored.push('-e: no hypervisor event channel for dom0');
	if (v['master-domid'] !== undefined) ignored.push('-m: dom0 is always domain 0 here');
	if (v['priv-domid'] !== undefined) ignored.push('-p: the privileged domain is always domain 0 here');
	if (v['reraise-top-level']) ignored.push('--reraise-top-level (oxenstored debugging)');
	if (v['no-access-log']) ignored.push('--no-access-log (oxenstored): use -T for a trace');
	if (v['disable-socket']) ignored.push('--disable-socket (oxenstored): the socket is always served');
	return {
		noFork: v['no-fork'] === true,
		pidFile: v['pid-file'],
		outputPid: v['output-pid'] === true,
		traceFile: v['trace-file'],
		quotas,
		softMemoryQuota,
		watchEventTimeout,
		keepOrphans: v['keep-orphans'] === true,
		verbose: v.verbose === true,
		liveUpdate: v['live-update'] === true,
		help: v.help === true,
		oxenstoredLive: v.live === true,
		oxenstoredConfig: v['config-file'],
		emulateDomains: v['emulate-domains'] === true,
		ignored,
	};
}

export const USAGE = `Usage:

  tsxenstored <options>

where options may include (those of C xenstored, with the same meanings):

  -D, --no-domain-init    accepted; there is no hypervisor domain to initialise
  -F, --pid-file <file>   write the daemon's pid to <file>
  -H, --help              print this message
  -N, --no-fork           stay in the foreground
  -P, --output-pid        print the daemon's pid on stdout
  -T, --trace-file <file> trace every request and reply to <file>
  -E, --entry-nb <nb>     nodes per domain (quota "nodes")
  -S, --entry-size <size> size of a node (quota "node-size")
  -W, --watch-nb <nb>     watches per domain (quota "watches")
  -t, --transaction <nb>  transactions per domain (quota "transactions")
  -A, --perm-nb <nb>      permissions per node (quota "permissions")
  -M, --path-max <chars>  length of a node path below a domain's home (quota "path-max")
  -Q, --quota <what>=<nb> set any quota: nodes, watches, transactions, node-size, permissions,
                          transaction-nodes, memory, outstanding, path-max
  -q, --quota-soft <what>=<nb>  soft quota (warning only): memory
  -w, --timeout <what>=<seconds>  watch-event: time a guest's watch event may stay unread
  -R, --no-recovery       accepted; there is no on-disk store
  -I, --internal-db [on|off]  accepted; the store is always in memory
  -K, --keep-orphans      keep the nodes of a domain when it goes away
  -V, --verbose           log more
  -U, --live-update       start as the successor of a live update (reads the state file)

tsxenstored's own:

  --emulate-domains       give each domain dom0 introduces a Unix socket standing for its ring,
                          $XENSTORED_RUNDIR/domain/<domid>/socket: a client connected there is that
                          domain (for testing guests without Xen)

${SUCCESSOR_MARKER} (as successor, and as predecessor of any daemon).

Environment: XENSTORED_RUNDIR (socket directory, default /var/run/xenstored),
XENSTORED_PATH (socket path, overrides the directory), XENSTORED_ROOTDIR (state directory for live
update, default /var/lib/xenstored).
`;
