/**
 * What the kernel accounts to a daemon process: CPU time (utime + stime, all threads, from
 * /proc/<pid>/stat) and resident memory (VmRSS and RssAnon from /proc/<pid>/status, with those of
 * the processes it keeps beside it). See proc(5).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTicks {
	utime: number;
	stime: number;
}

/**
 * A field of /proc/<pid>/stat by its number in proc(5) (`name` for the error), from the file's
 * text. The command name (field 2) is in parentheses and may itself hold spaces and parentheses,
 * so fields are counted from the last `)`: after it come field 3 (state) onwards.
 */
export function procStatField(text: string, field: number, name: string): number {
	const close = text.lastIndexOf(')');
	if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
	const value = Number(
		text
			.slice(close + 1)
			.trim()
			.split(/\s+/)[field - 3],
	);
	if (!Number.isInteger(value)) {
		throw new Error(
			`no ${name} (field ${field}) in /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`,
		);
	}
	return value;
}

/** utime (field 14) and stime (field 15), in clock ticks, from the text of /proc/<pid>/stat. */
export function parseProcStat(text: string): CpuTicks {
	return { utime: procStatField(text, 14, 'utime'), stime: procStatField(text, 15, 'stime') };
}

/** A field of /proc/<pid>/status in bytes (the kernel writes these in kB). */
function statusBytes(text: string, field: 'VmRSS' | 'RssAnon'): number {
	const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
	if (!match) throw new Error(`no ${field} line in /proc/<pid>/status (has the process exited?)`);
	return Number(match[1]) * 1024;
}

/** All resident memory: the daemon's data, and its program's pages read in so far. */
export function parseVmRss(text: string): number {
	return statusBytes(text, 'VmRSS');
}

/** Resident anonymous memory: heaps and stacks, without pages mapped from files (the program). */
export function parseRssAnon(text: string): number {
	return statusBytes(text, 'RssAnon');
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux/x86). */
export function clockTicks(): number {
	ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
	if (!(ticksPerSecond > 0)) throw new Error('getconf CLK_TCK did not give a positive number');
	return ticksPerSecond;
}

export interface ProcessSample {
	/** user + system CPU seconds used so far by the whole process (all threads). */
	cpuSecs: number;
	/** Resident memory of the process and of the processes it keeps (see below). */
	rssBytes: number;
	anonBytes: number;
}

/** The processes `pid` started that are still running (children of any of its threads). */
function childrenOf(pid: number): number[] {
	const children: number[] = [];
	for (const task of readdirSync(`/proc/${pid}/task`)) {
		try {
			const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').trim();
			if (list !== '') children.push(...list.split(/\s+/).map(Number));
		} catch {
			// The thread ended meanwhile.
		}
	}
	return children;
}

/**
 * The process's CPU time, and its memory together with that of the processes it keeps running
 * beside it: tsxenstored keeps a shell waiting to become its live-update successor, and what that
 * holds is the daemon's cost too. (A waiting shell uses no CPU.)
 */
export function sampleProcess(pid: number): ProcessSample {
	const { utime, stime } = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	let rssBytes = parseVmRss(status);
	let anonBytes = parseRssAnon(status);
	for (const child of childrenOf(pid)) {
		try {
			const childStatus = readFileSync(`/proc/${child}/status`, 'utf8');
			rssBytes += parseVmRss(childStatus);
			anonBytes += parseRssAnon(childStatus);
		} catch {
			// It exited meanwhile.
		}
	}
	return { cpuSecs: (utime + stime) / clockTicks(), rssBytes, anonBytes };
}
