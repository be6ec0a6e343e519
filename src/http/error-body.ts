/**
 * The one shape of every error answer: `{statusCode, error, message, code}`.
 */
import { STATUS_CODES } from 'node:http'

export interface ErrorBody {
  statusCode: number
  error: string
  message: string
  code?: string
}

export function errorBody (statusCode: number, message: string, code?: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(code !== undefined ? { code } : {}) }
}
