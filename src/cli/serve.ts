/**
 * The daemon proper, loaded only once the command line is known to ask for it: `--help`, which
 * a predecessor may run to identify its successor (liveupdate/target.ts), is answered without
 * loading the daemon's modules.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HANDOVER_ENV, type Handover, INHERITED_ENV, receiveHandover } from '../liveupdate/ipc.ts';
import { loadSnapshot, type RestoreReport, restoreDaemon } from '../liveupdate/restore.ts';
import { afterNextPoll } from '../liveupdate/wait.ts';
import { warmUpRestore } from '../liveupdate/warm-up.ts';
import { warmUpRequests } from '../liveupdate/warm-up-requests.ts';
import { randomSeeds } from '../migration/path-set.ts';
import { emptyNursery } from '../server/collector.ts';
import { Daemon } from '../server/daemon.ts';
import { createLogger } from '../server/log.ts';
import { seedChildHash } from '../store/children.ts';
import { type Locations, locations } from './environment.ts';
import type { Options } from './options.ts';

/** Where oxenstored leaves its state for the binary it execs with `--live --restart`. */
const OXENSTORED_DUMP = '/var/run/xenstored/db';

/**
 * The state file a predecessor left: `$XENSTORED_ROOTDIR/state_dump` (current C xenstored and
 * tsxenstored), else `$XENSTORED_RUNDIR/state_dump` (C xenstored 4.17 kept it in its run dir).
 */
function liveUpdateStateFile(where: Locations): string {
	const primary = join(where.rootDir, 'state_dump');
	const legacy = join(where.runDir, 'state_dump');
	return existsSync(primary) || !existsSync(legacy) ? primary : legacy;
}

/** Set in the environment of the background process a daemonizing start spawns. */
const NOTIFY_FD_ENV = 'TSXENSTORED_NOTIFY_FD';

/**
 * Without -N the daemon goes to the background like C xenstored: a detached copy of this process
 * serves, the starting process waits until it listens, prints its pid with -P, and exits.
 */
async function daemonize(argv: string[], options: Options, logFile: string): Promise<never> {
	const log = openSync(logFile, 'a');
	const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
		detached: true,
		stdio: ['ignore', log, log, 'pipe'],
		env: { ...process.env, [NOTIFY_FD_ENV]: '3' },
	});
	closeSync(log);
	const ready = await new Promise<boolean>((resolve) => {
		const pipe = child.stdio[3] as NodeJS.ReadableStream;
		pipe.once('data', () => resolve(true));
		child.once('exit', () => resolve(false));
	});
	if (!ready) {
		process.stderr.write(`tsxenstored: the daemon did not start; see ${logFile}\n`);
		process.exit(1);
	}
	if (options.outputPid) process.stdout.write(`${child.pid}\n`);
	process.exit(0);
}

function writePidFile(options: Options): void {
	if (options.pidFile !== undefined) writeFileSync(options.pidFile, `${process.pid}\n`);
}

/** Serve as the options say: in the background, in the foreground, or taking over from a predecessor. */
export async function serve(argv: string[], options: Options): Promise<void> {
	const where = locations();
	for (const dir of [where.runDir, where.rootDir]) {
		try {
			mkdirSync(dir, { recursive: true, mode: 0o755 });
		} catch {
			// Reported when the socket or a state file cannot be created there.
		}
	}
	const notifyFd = process.env[NOTIFY_FD_ENV];
	// A successor keeps the predecessor's place: it never goes to the background again.
	const stateFile = options.liveUpdate
		? liveUpdateStateFile(where)
		: options.oxenstoredLive
			? OXENSTORED_DUMP
			: undefined;
	if (!options.noFork && notifyFd === undefined && stateFile === undefined) {
		await daemonize(argv, options, join(where.runDir, 'tsxenstored.log'));
	}
	delete process.env[NOTIFY_FD_ENV];
	// What a tsxenstored predecessor says about this process's start; taken out of the environment
	// before anything is started from it (the shell the daemon keeps for its own successor).
	const handoverMode = process.env[HANDOVER_ENV];
	const inherited = process.env[INHERITED_ENV];
	delete process.env[HANDOVER_ENV];
	delete process.env[INHERITED_ENV];

	// Long child lists hash names under a seed clients cannot know (store/children.ts).
	seedChildHash(randomSeeds()[0]);
	const log = createLogger(process.stderr, options.verbose);
	for (const reason of options.ignored) log.info(`option ${reason}`);
	const daemon = new Daemon({
		socketPath: where.socketPath,
		runDir: where.runDir,
		rootDir: where.rootDir,
		originalArgs: argv.filter((a) => a !== '-U' && a !== '--live-update'),
		restoring: stateFile !== undefined,
		emulateDomains: options.emulateDomains,
		quotas: options.quotas,
		softMemoryQuota: options.softMemoryQuota,
		traceFile: options.traceFile,
		keepOrphans: options.keepOrphans,
		watchEventTimeout: options.watchEventTimeout,
		log,
	});
	// First, while this process is small (standby.ts).
	daemon.updater.prepareSuccessor();
	if (stateFile !== undefined) {
		let handover: Handover | undefined;
		let report: RestoreReport;
		try {
			// A tsxenstored predecessor started this process early and says when to take over.
			handover =
				handoverMode === 'ipc'
					? await receiveHandover(inherited, {
							warmUp: async () => {
								warmUpRestore();
								try {
									await warmUpRequests(where.rootDir);
								} catch (e) {
									// Only the first requests after the takeover are slower without it.
									log.warn(`live update: requests not warmed up: ${(e as Error).message}`);
								}
							},
							load: (file) => loadSnapshot(daemon.store, file),
							prepare: (socket) => daemon.prepareConnection(socket),
							loadedAll: emptyNursery,
						})
					: undefined;
			// The pid file names this process before a client can see the update done.
			report = await restoreDaemon(daemon, stateFile, {
				resolve: handover?.resolve,
				loaded: handover?.loaded,
				beforeRelease: () => writePidFile(options),
			});
		} catch (e) {
			log.error(`live update: cannot restore from ${stateFile}: ${(e as Error).stack ?? e}`);
			process.exit(1);
		}
		// Clients may have had replies from this process by now (restoring releases the requests
		// held over the update): whatever goes wrong from here on, it serves, since a predecessor
		// taking over again would handle those requests a second time.
		if (options.oxenstoredLive) daemon.liveUpdate.completedElsewhere();
		// The connections read again from the next poll of the event loop on: clients' requests
		// held over the update are answered there, before the bookkeeping below (telling the
		// predecessor, which then exits, logging, removing files), which only delays them.
		await afterNextPoll();
		try {
			handover?.dropUnclaimed();
		} catch (e) {
			log.error(`live update: closing sockets no client claimed: ${(e as Error).message}`);
		}
		handover?.onFresh((socket, domid) => {
			if (domid === 0) daemon.accept(socket);
			else daemon.domainService.accept(domid, socket);
		});
		handover?.serving();
		log.info(
			`live update: restored ${report.nodes} nodes, ${report.connections} connections, ` +
				`${report.watches} watches, ${report.transactions} transactions from ${stateFile}`,
		);
		for (const note of report.notes) log.warn(`live update: ${note}`);
		// The predecessor waits for this: from now on this process serves.
		rmSync(stateFile, { force: true });
	} else {
		try {
			await daemon.listen();
		} catch (e) {
			log.error(`cannot listen on ${where.socketPath}: ${(e as Error).message}`);
			process.exit(1);
		}
		writePidFile(options);
	}
	daemon.startHousekeeping();
	if (options.outputPid && options.noFork) process.stdout.write(`${process.pid}\n`);
	log.info(`serving ${where.socketPath} (pid ${process.pid})`);
	if (notifyFd !== undefined) {
		writeSync(Number(notifyFd), 'ready\n');
		closeSync(Number(notifyFd));
	}

	const stop = (signal: string) => {
		log.info(`${signal}: shutting down`);
		daemon.shutdown().then(() => process.exit(0));
	};
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGHUP', () => daemon.tracer.setEnabled(daemon.tracer.enabled));
}
