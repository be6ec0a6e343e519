/**
 * The hostile-input properties (test/reliability/hostile-input.ts) run long: thousands of cases
 * per property instead of the hundred of `npm test`, for the defects a short run is unlikely to
 * draw. FC_SEED replays a reported run.
 */
import t from 'tap'
import { hostileInputProperties } from '../reliability/hostile-input.js'

// 1,000 per property: about a minute, inside CI's budget of 15 minutes for everything.
await hostileInputProperties(t, 1000)
