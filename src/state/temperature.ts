/** A conversation's temperature: the document's own, or the bot's rule where it carries none. */
import type { StateDocument, Temperature } from '../../schemas/state-document.js'

export function deriveTemperature (doc: Pick<StateDocument, 'temperature' | 'questions_answered' | 'offer_accepted' | 'timeline_acceptable'>): Temperature {
  if (typeof doc.temperature === 'string') return doc.temperature.toUpperCase() as Temperature
  if (doc.questions_answered < 4) return 'COLD'
  return doc.offer_accepted === true && doc.timeline_acceptable === true ? 'HOT' : 'WARM'
}
