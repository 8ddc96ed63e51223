package policy

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/haechi-tns/haechi/engine"
)

func BenchmarkProbe(b *testing.B) {
	ctx := context.Background()
	bu := loadRepoPolicies(b)
	in := inputValue(chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0}))
	cfg, _ := json.Marshal(bu.Data["haechi"].(map[string]any)["config"])
	mod := ast.MustParseModuleWithOpts("package haechi\nconfig := "+string(cfg)+"\n", ast.ParserOptions{RegoVersion: ast.RegoV1})
	for _, variant := range []string{"store", "module"} {
		opts := []func(*rego.Rego){rego.Query("data.haechi.main.decision"), rego.SetRegoVersion(ast.RegoV1)}
		if variant == "store" {
			opts = append(opts, rego.Store(inmem.NewFromObjectWithOpts(bu.Data, inmem.OptReturnASTValuesOnRead(true))))
		} else {
			opts = append(opts, rego.Store(inmem.New()), rego.ParsedModule(mod))
		}
		for _, m := range bu.Modules {
			opts = append(opts, rego.ParsedModule(m.Copy()))
		}
		pq, err := rego.New(opts...).PrepareForEval(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(variant, func(b *testing.B) {
			for b.Loop() {
				if _, err := pq.Eval(ctx, rego.EvalParsedInput(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
