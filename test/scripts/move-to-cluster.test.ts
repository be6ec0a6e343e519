/**
 * The command line of `npm run move-to-cluster`: every mistake is refused with a message that
 * names the argument. The tool's exit codes and the move itself are tested on a real cluster
 * (test/cluster/move-to-cluster.cluster.ts).
 */
import t from 'tap'
import { parseMoveArguments } from '../../scripts/move-arguments.js'

const nodes = '127.0.0.1:7000,127.0.0.1:7001'

t.test('bad arguments: each named in the message', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--to', nodes], /--from is required/],
    [['--from', 'http://127.0.0.1:6379', '--to', nodes], /--from must be a redis:\/\/ or rediss:\/\/ URL/],
    [['--from', 'redis://127.0.0.1:6379'], /--to is required/],
    [['--from', 'redis://127.0.0.1:6379', '--to', '127.0.0.1:7000,nowhere'], /--to entry 2 must be host:port \(got "nowhere"\)/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--buckets', '0'], /--buckets must be an integer from 1 to 1024 \(got "0"\)/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--batch', '2.5'], /--batch must be an integer from 1 to 10000 \(got "2.5"\)/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--prefix', 'a{b}:'], /--prefix must be 1-64 characters without \{ or \}/],
    [['--from', 'redis://127.0.0.1:6379', '--to', nodes, '--frobnicate'], /Unknown option '--frobnicate'/]
  ]
  for (const [args, message] of cases) t.throws(() => parseMoveArguments(args), { name: 'ArgumentError', message }, args.join(' '))
  t.same(parseMoveArguments(['--from', 'redis://127.0.0.1:6379', '--to', nodes]),
    { from: 'redis://127.0.0.1:6379', to: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }], prefix: 'seller:', buckets: 6, batch: 500 })
})
