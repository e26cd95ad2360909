import type { DocumentNode } from 'graphql';

export const GENERATED: string;
export function operations(): { where: string; text: string }[];
export function checkedDocuments(schemaText: string): { document: DocumentNode; location: string }[];
export function generate(): Promise<number>;
