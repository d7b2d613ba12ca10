// Command cost prints a stack's monthly cost from a plan, and refreshes the price snapshot the estimate uses.
//
//	pulumi preview --stack prod --json | go run ./cmd/cost -stack prod       # itemized idle and ceiling, and the delta
//	go run ./cmd/cost -stack prod -format markdown plan.json                 # the delta for a PR comment
//	go run ./cmd/cost refresh-prices                                         # rewrite internal/cost/prices.json
//
// `make cost STACK=<env>` feeds it the offline sandbox's plan; `make cost-prices` runs refresh-prices, which needs
// AWS credentials allowed pricing:GetProducts (the Price List Query API is served from us-east-1).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/platform-team/platform/internal/cost"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "cost: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "refresh-prices" {
		return refresh(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack name for the title")
	region := fs.String("region", "", "region of resources whose provider names none (default: the plan's only aws provider region)")
	format := fs.String("format", "text", "text (itemized estimate and delta) or markdown (the delta, for a PR comment)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: cost [flags] [preview.json|-]   (the output of `pulumi preview --json`; default stdin)\n       cost refresh-prices [-out file]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := stdin
	if fs.NArg() > 1 {
		return errors.New("at most one plan file")
	}
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	plan, err := cost.ParsePlan(b)
	if err != nil {
		return err
	}
	if *region == "" && len(plan.Regions) == 1 {
		*region = plan.Regions[0]
	}
	prices, err := cost.Snapshot()
	if err != nil {
		return err
	}
	d := prices.EstimatePlan(plan, cost.Options{DefaultRegion: *region})
	switch *format {
	case "markdown":
		d.WriteMarkdown(stdout, *stack)
		return nil
	case "text":
	default:
		return fmt.Errorf("-format %q: use text or markdown", *format)
	}
	title := fmt.Sprintf("Monthly cost of stack %s (%s), as planned", *stack, strings.Join(plan.Regions, ", "))
	if err := d.Planned.WriteText(stdout, title); err != nil {
		return err
	}
	d.WriteDeltaText(stdout)
	return nil
}

func refresh(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("refresh-prices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "internal/cost/prices.json", "snapshot file to rewrite")
	date := fs.String("date", time.Now().UTC().Format("2006-01-02"), "date to record")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prev, err := cost.Snapshot()
	if err != nil {
		return err
	}
	// The Price List Query API has endpoints in us-east-1 (and a few others); us-east-1 serves every region's rates.
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"))
	if err != nil {
		return fmt.Errorf("AWS credentials: %w", err)
	}
	next, missed, err := cost.Refresh(ctx, prev, sdkFetcher{pricing.NewFromConfig(cfg)}, *date)
	if err != nil {
		return err
	}
	b, err := next.JSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s dated %s\n", *out, next.Date)
	for _, m := range missed {
		fmt.Fprintf(stdout, "  not refreshed (previous rate kept): %s\n", m)
	}
	return nil
}

// sdkFetcher runs GetProducts through aws-sdk-go-v2, every page, with TERM_MATCH filters.
type sdkFetcher struct{ c *pricing.Client }

func (f sdkFetcher) GetProducts(ctx context.Context, service string, filters []cost.Filter) ([]string, error) {
	in := &pricing.GetProductsInput{ServiceCode: aws.String(service), FormatVersion: aws.String("aws_v1")}
	for _, fl := range filters {
		in.Filters = append(in.Filters, pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String(fl.Field), Value: aws.String(fl.Value)})
	}
	var docs []string
	p := pricing.NewGetProductsPaginator(f.c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		docs = append(docs, page.PriceList...)
	}
	return docs, nil
}
