DROP TABLE kb_article_versions;
DROP TABLE kb_proposals;
DROP INDEX kb_articles_search;
ALTER TABLE kb_articles DROP COLUMN search, DROP COLUMN search_head, DROP COLUMN version, DROP COLUMN status, DROP COLUMN department_id;
DROP FUNCTION search_ngrams(text);
