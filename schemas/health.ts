/**
 * /health/live and /health/ready.
 */
import { Type } from '@sinclair/typebox'

export const LiveSchema = Type.Object({ status: Type.Literal('ok') })

export const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  redis: Type.String({ description: 'Connection state: ready, connecting, reconnecting, ...' }),
  reason: Type.Optional(Type.String({ description: 'Why the service is not ready' }))
})
