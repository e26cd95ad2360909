/** The descriptor of the .proto at `file`, as protobufjs's full build reads it. */
export function descriptorOf(file: string): Record<string, unknown>;
