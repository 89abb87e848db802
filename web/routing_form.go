package web

import (
	"context"
	"slices"

	"github.com/hotline-city/hotline/routing"
	"github.com/hotline-city/hotline/tickets"
)

// The dispatch rule form's pickers: conditions and actions chosen from the city's own
// categories, departments and profiles instead of typed as codes or JSON (JSON stays in the
// API and on the rule page).

// pickOption is one choice of a picker, selected when the rule has it. A code the rule names
// that the city no longer has is kept as a choice of its own (Unknown), so saving the form
// never drops part of a rule silently.
type pickOption struct {
	Value, Label string
	Selected     bool
	Unknown      bool
	Depth        int
}

// rulePickers are the choices of every picker of the rule form for one rule.
type rulePickers struct {
	Categories, Types, Channels, DayTypes, Lead, Co, Profiles []pickOption
}

// rulePickers builds the form's choices in lang with rule's selected.
func (s *Server) rulePickers(ctx context.Context, lang string, rule routing.Rule) (*rulePickers, error) {
	cats, err := s.Org.Categories(ctx)
	if err != nil {
		return nil, err
	}
	deps, err := s.Org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	profiles, err := s.Org.Profiles(ctx)
	if err != nil {
		return nil, err
	}
	p := &rulePickers{}
	var catOpts []pickOption
	for _, c := range cats {
		o := pickOption{Value: c.Code, Label: catName(lang, &c)}
		if c.ParentID != nil {
			o.Depth = 1
		}
		catOpts = append(catOpts, o)
	}
	p.Categories = pickChosen(catOpts, rule.Conditions.Categories)
	var typeOpts, chanOpts, dayOpts []pickOption
	for _, t := range tickets.Types {
		typeOpts = append(typeOpts, pickOption{Value: t, Label: tr(lang, "type."+t)})
	}
	p.Types = pickChosen(typeOpts, rule.Conditions.Types)
	for _, c := range tickets.Channels {
		chanOpts = append(chanOpts, pickOption{Value: c, Label: tr(lang, "channel."+c)})
	}
	p.Channels = pickChosen(chanOpts, rule.Conditions.Channels)
	for _, d := range []string{routing.DayWorkday, routing.DayWeekend, routing.DayHoliday} {
		dayOpts = append(dayOpts, pickOption{Value: d, Label: tr(lang, "routing.day."+d)})
	}
	p.DayTypes = pickChosen(dayOpts, rule.Conditions.DayTypes)
	var deptOpts []pickOption
	for _, d := range activeDepartments(deps) {
		deptOpts = append(deptOpts, pickOption{Value: d.Code, Label: deptName(lang, &d)})
	}
	p.Lead = pickChosen(deptOpts, nonEmpty(rule.Action.Lead))
	p.Co = pickChosen(deptOpts, rule.Action.CoHandlers)
	var profOpts []pickOption
	for _, pr := range profiles {
		profOpts = append(profOpts, pickOption{Value: pr.Code, Label: pr.NameZh})
	}
	p.Profiles = pickChosen(profOpts, nonEmpty(rule.Action.Profile))
	return p, nil
}

// pickChosen marks the options whose value is in chosen, and adds the chosen values it lacks.
func pickChosen(opts []pickOption, chosen []string) []pickOption {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Selected = slices.Contains(chosen, out[i].Value)
	}
	for _, c := range chosen {
		if !slices.ContainsFunc(out, func(o pickOption) bool { return o.Value == c }) {
			out = append(out, pickOption{Value: c, Label: c, Selected: true, Unknown: true})
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
