/**
 * Request validation with TypeBox's compiled checks.
 *
 * Bodies are checked as sent: no type coercion, no defaults, nothing removed (Fastify's default
 * Ajv settings would turn "3" into 3 and let a wrongly typed field through). Query strings,
 * params and headers are converted from their string form and get their schema defaults; query
 * strings are first read as people write them (query-spelling.ts).
 * Error messages name the field and say what was expected.
 */
import type { FastifySchemaCompiler } from 'fastify'
import { Kind, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { DefaultErrorFunction, SetErrorFunction, ValueErrorType, type ErrorFunctionParameter } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import { JSON_MEDIA_TYPE } from './instructive-messages.js'
import { querySpelling } from './query-spelling.js'

function describeMember (schema: TSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  return typeof schema.type === 'string' ? schema.type : String(schema[Kind]).toLowerCase()
}

function jsonType (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (Number.isInteger(value)) return 'integer'
  return typeof value
}

/** Reads an error like a person would write it: what the field should be, not "union value". */
function errorMessage (error: ErrorFunctionParameter): string {
  const { schema, value } = error
  switch (error.errorType) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required'
    case ValueErrorType.ObjectAdditionalProperties:
      return `is not a known parameter; use ${Object.keys(schema.properties ?? {}).join(', ')}`
    case ValueErrorType.StringPattern: {
      // The description says in words what the pattern says in a regular expression.
      const expected = typeof schema.description === 'string' ? `Expected ${schema.description}` : DefaultErrorFunction(error)
      // Said apart: "" is the Python prototype's fallback for a location it did not know.
      return value === '' ? `is empty. ${expected}` : expected
    }
    case ValueErrorType.Union: {
      const members = schema.anyOf as TSchema[]
      if (members.every((member) => member.const !== undefined)) {
        return `Expected one of ${members.map((member) => String(member.const)).join(', ')}`
      }
      // A value of the right type that breaks a finer rule (range, pattern): report that rule.
      const type = jsonType(value)
      const sameType = members.find((member) => member.type === type || (member.type === 'number' && type === 'integer'))
      const detail = sameType === undefined ? undefined : Value.Errors(sameType, value).First()
      if (detail !== undefined) return errorMessage({ ...detail, errorType: detail.type })
      return `Expected ${members.map(describeMember).join(' or ')}`
    }
    default:
      return DefaultErrorFunction(error)
  }
}

SetErrorFunction(errorMessage)

export interface FieldError {
  /** JSON pointer of the field, '' for the value itself. */
  instancePath: string
  message: string
}

/** The first error of each field: a missing field need not also be reported as mistyped. */
export function fieldErrors (check: TypeCheck<TSchema>, value: unknown): FieldError[] {
  const byField = new Map<string, string>()
  for (const error of check.Errors(value)) {
    if (!byField.has(error.path)) byField.set(error.path, error.message)
  }
  return [...byField].map(([instancePath, message]) => ({ instancePath, message }))
}

const INTEGER_TEXT = /^-?\d+$/

/**
 * Integer fields of a string part whose text is not an integer: Value.Convert would turn
 * `page=2.5` into 2 without a word.
 */
function integerTextErrors (schema: TSchema, input: unknown): FieldError[] {
  const properties = (schema.properties ?? {}) as Record<string, TSchema>
  const values = (input ?? {}) as Record<string, unknown>
  return Object.entries(properties)
    .filter(([name, property]) => property.type === 'integer' && typeof values[name] === 'string' && !INTEGER_TEXT.test(values[name]))
    .map(([name]) => ({ instancePath: `/${name}`, message: 'Expected integer' }))
}

/** Whether a string part needs converting: some property is not a string, or has a default. */
function needsConversion (schema: TSchema): boolean {
  const properties = Object.values((schema.properties ?? {}) as Record<string, TSchema>)
  return properties.some((property) => property.type !== 'string' || property.default !== undefined)
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema)
  const spelling = httpPart === 'querystring' ? querySpelling(schema) : null
  // Params and headers of strings only are checked as they come: the bot's hot path.
  const fromStrings = httpPart !== 'body' && needsConversion(schema)
  return (given: unknown) => {
    const input = spelling === null ? given : spelling(given)
    // Fastify gives a missing body as null: the client most likely sent none, or no Content-Type.
    if (httpPart === 'body' && input === null && !check.Check(input)) {
      return { error: [{ instancePath: '', message: `is missing: send the document as a JSON object with Content-Type: ${JSON_MEDIA_TYPE}` }] as unknown as Error }
    }
    if (fromStrings) {
      const textErrors = integerTextErrors(schema, input)
      if (textErrors.length > 0) return { error: textErrors as unknown as Error }
    }
    const value = fromStrings ? Value.Convert(schema, Value.Default(schema, input)) : input
    if (check.Check(value)) return { value }
    return { error: fieldErrors(check, value) as unknown as Error }
  }
}
