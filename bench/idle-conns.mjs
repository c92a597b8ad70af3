// Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET /health
// on each, holds them all idle for a few seconds, then prints how many are
// still open and the server's RSS (from /proc/PID/status).
import net from 'node:net';
import { readFileSync } from 'node:fs';

const [port, n, pid] = process.argv.slice(2).map(Number);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const socks = [];
let answered = 0;
for (let i = 0; i < n; i++) {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.once('data', () => answered++);
  s.on('connect', () => s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
  socks.push(s);
  if (i % 500 === 499) await new Promise((r) => setTimeout(r, 20));
}
for (let i = 0; i < 100 && answered < n; i++) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 3000));
const open = socks.filter((s) => !s.destroyed && s.readyState === 'open').length;
console.log(`answered ${answered}`);
console.log(`held ${open}`);
console.log(`rss_kib ${rss()}`);
socks.forEach((s) => s.destroy());
