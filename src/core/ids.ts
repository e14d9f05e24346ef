/**
 * A UUID as check ids and run ids are written (any case; stored lowercase). Both cases are
 * spelled out rather than given by the `i` flag: a zod schema's pattern goes into the OpenAPI
 * document as its source, where the flag would be lost.
 */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
