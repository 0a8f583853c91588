// Why a reading was refused, in words a person on the factory floor can act on.

export type ReadingErrorCode =
  | 'invalid_json'
  | 'invalid_utf8'
  | 'payload_too_large'
  | 'too_many_readings'
  | 'too_deep'
  | 'not_an_object'
  | 'too_many_keys'
  | 'forbidden_key'
  | 'missing_device_type'
  | 'unknown_device_type'
  | 'missing_key'
  | 'unknown_key'
  | 'wrong_type'
  | 'nested_value'
  | 'not_finite'
  | 'not_integer'
  | 'out_of_range'
  | 'too_long'
  | 'invalid_characters'
  | 'empty_tag'
  | 'no_fields'
  | 'missing_timestamp'
  | 'invalid_timestamp'
  | 'timestamp_in_future'
  | 'timestamp_too_old';

export class ReadingError {
  constructor(
    readonly code: ReadingErrorCode,
    readonly message: string,
    readonly field?: string,
  ) {}

  /** The plain object put on msg.error: {code, message, field}. */
  toJSON(): { code: ReadingErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}
