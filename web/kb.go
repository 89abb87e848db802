package web

import (
	"context"
	"strings"

	"github.com/hotline-city/hotline/tickets"
)

// answerInput is a direct answer: from a knowledge article valid today (recorded on the
// timeline with its source), or the agent's own text, or both.
func (s *Server) answerInput(ctx context.Context, article, text string) (tickets.ActInput, error) {
	in := tickets.ActInput{Text: strings.TrimSpace(text)}
	if article == "" {
		if in.Text == "" {
			return in, &badField{"answer", "an answer needs text or a knowledge article"}
		}
		return in, nil
	}
	a, err := s.KB.ValidArticle(ctx, article)
	if err != nil {
		return in, err
	}
	if in.Text == "" {
		in.Text = a.Body
	}
	in.Data = map[string]any{"kb_article": a.Code, "kb_title": a.Title, "kb_source": a.Source}
	return in, nil
}
