import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { clockTicks, parseProcStat, parseRssAnon, parseVmRss, sampleProcess } from '../../bench/procstat.ts';

// proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
const line = (comm: string) =>
	`4242 (${comm}) S 1 4242 4242 0 -1 4194560 1532 0 3 0 1234 567 0 0 20 0 1 0 98765 12345678 2345 18446744073709551615\n`;

describe('parseProcStat', () => {
	it('reads utime (field 14) and stime (field 15)', () => {
		assert.deepEqual(parseProcStat(line('xenstored')), { utime: 1234, stime: 567 });
	});
	it('counts fields from the last parenthesis, whatever the command name holds', () => {
		assert.deepEqual(parseProcStat(line('a) b (c) 1 2 3')), { utime: 1234, stime: 567 });
		assert.deepEqual(parseProcStat(line('node-MainThread')), { utime: 1234, stime: 567 });
	});
	it('refuses text that is not a stat line', () => {
		assert.throws(() => parseProcStat('garbage'), /not a \/proc/);
		assert.throws(() => parseProcStat('1 (x) S 1'), /no utime/);
	});
	it("agrees with the kernel's other account of this process's CPU time (getrusage)", () => {
		const end = Date.now() + 200;
		while (Date.now() < end); // use some CPU
		const usage = process.cpuUsage();
		const { utime, stime } = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
		const statSecs = (utime + stime) / clockTicks();
		const rusageSecs = (usage.user + usage.system) / 1e6;
		assert.ok(Math.abs(statSecs - rusageSecs) < 0.05, `stat ${statSecs} s, getrusage ${rusageSecs} s`);
	});
});

describe('parseVmRss', () => {
	it('reads VmRSS in kB as bytes', () => {
		const status = 'Name:\tnode\nVmPeak:\t  999 kB\nVmRSS:\t   20784 kB\nRssAnon:\t 1 kB\n';
		assert.equal(parseVmRss(status), 20784 * 1024);
	});
	it('refuses a status without VmRSS (a zombie has none)', () => {
		assert.throws(() => parseVmRss('Name:\tx\nState:\tZ (zombie)\n'), /no VmRSS/);
	});
});

describe('parseRssAnon', () => {
	it('reads RssAnon in kB as bytes, not the VmRSS line', () => {
		const status = 'Name:\tnode\nVmRSS:\t   20784 kB\nRssAnon:\t    7348 kB\nRssFile:\t 13436 kB\n';
		assert.equal(parseRssAnon(status), 7348 * 1024);
	});
	it('refuses a status without RssAnon', () => {
		assert.throws(() => parseRssAnon('Name:\tx\nState:\tZ (zombie)\n'), /no RssAnon/);
	});
});

describe('sampleProcess', () => {
	it("reads this process's CPU time and resident memory", () => {
		const s = sampleProcess(process.pid);
		assert.ok(s.cpuSecs > 0);
		const rss = process.memoryUsage.rss();
		assert.ok(Math.abs(s.rssBytes - rss) < rss / 2, `VmRSS ${s.rssBytes}, memoryUsage.rss ${rss}`);
		assert.ok(s.anonBytes > 0 && s.anonBytes < s.rssBytes, `RssAnon ${s.anonBytes}, VmRSS ${s.rssBytes}`);
	});
});

describe('sampleProcess', () => {
	it('counts the memory of the processes a daemon keeps beside it', async (t) => {
		// A parent with one idle child: neither's memory moves while it waits.
		const parent = spawn('bash', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
		t.after(() => parent.kill('SIGKILL'));
		const pid = parent.pid!;
		const childFile = `/proc/${pid}/task/${pid}/children`;
		let child = '';
		for (let tries = 0; child === '' && tries < 100; tries++) {
			await new Promise((r) => setTimeout(r, 20));
			child = readFileSync(childFile, 'latin1').trim();
		}
		assert.notEqual(child, '', 'the child started');
		t.after(() => process.kill(Number(child), 'SIGKILL'));
		// The child is listed from its fork on, and its memory changes until it has exec'd sleep and
		// settled: compare only a sample taken between two identical readings of both.
		const status = () => [pid, child].map((p) => readFileSync(`/proc/${p}/status`, 'utf8'));
		let settled = false;
		for (let tries = 0; !settled && tries < 100; tries++) {
			const [own, its] = status() as [string, string];
			const sample = sampleProcess(pid);
			const [ownAfter, itsAfter] = status() as [string, string];
			const rss = parseVmRss(own) + parseVmRss(its);
			const anon = parseRssAnon(own) + parseRssAnon(its);
			if (
				rss !== parseVmRss(ownAfter) + parseVmRss(itsAfter) ||
				anon !== parseRssAnon(ownAfter) + parseRssAnon(itsAfter)
			) {
				await new Promise((r) => setTimeout(r, 20));
				continue;
			}
			settled = true;
			assert.equal(sample.rssBytes, rss);
			assert.equal(sample.anonBytes, anon);
		}
		assert.ok(settled, "the two processes' memory never held still between two readings");
	});
});
