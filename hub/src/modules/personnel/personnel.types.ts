import { Connection, Person, PersonnelClass } from '@plantgraph/schema';

/** The personnel model's pages, as the API serves them. */
export const PersonnelClassConnection = Connection(PersonnelClass);
export const PersonConnection = Connection(Person);
