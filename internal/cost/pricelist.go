package cost

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// PriceListProduct is one entry of the AWS Price List Query API's GetProducts PriceList: a JSON document with the
// product's attributes and its terms. The shape is AWS's price list file format (AWS Billing User Guide,
// "Reading the service price list file for an AWS service": product.sku, product.productFamily,
// product.attributes, terms.OnDemand.<offer>.priceDimensions.<rate>.unit and pricePerUnit.USD), which GetProducts
// returns one product per string (AWS Price List Query API reference, GetProducts, response element PriceList).
type PriceListProduct struct {
	SKU           string
	ProductFamily string
	Attributes    map[string]string
	// OnDemand are the product's on-demand price dimensions.
	OnDemand []PriceDimension
}

// PriceDimension is one rate of a term.
type PriceDimension struct {
	Unit        string
	USD         float64
	Description string
	BeginRange  string
}

// ParsePriceListProduct reads one PriceList document.
func ParsePriceListProduct(doc string) (PriceListProduct, error) {
	var raw struct {
		Product struct {
			SKU           string            `json:"sku"`
			ProductFamily string            `json:"productFamily"`
			Attributes    map[string]string `json:"attributes"`
		} `json:"product"`
		Terms struct {
			OnDemand map[string]struct {
				PriceDimensions map[string]struct {
					Unit         string            `json:"unit"`
					Description  string            `json:"description"`
					BeginRange   string            `json:"beginRange"`
					PricePerUnit map[string]string `json:"pricePerUnit"`
				} `json:"priceDimensions"`
			} `json:"OnDemand"`
		} `json:"terms"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return PriceListProduct{}, fmt.Errorf("price list product: %w", err)
	}
	p := PriceListProduct{SKU: raw.Product.SKU, ProductFamily: raw.Product.ProductFamily, Attributes: raw.Product.Attributes}
	for _, offer := range sortedKeys(raw.Terms.OnDemand) {
		dims := raw.Terms.OnDemand[offer].PriceDimensions
		for _, rc := range sortedKeys(dims) {
			d := dims[rc]
			usd, ok := d.PricePerUnit["USD"]
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(usd, 64)
			if err != nil {
				return PriceListProduct{}, fmt.Errorf("price list product %s: pricePerUnit.USD %q: %w", p.SKU, usd, err)
			}
			p.OnDemand = append(p.OnDemand, PriceDimension{Unit: d.Unit, USD: f, Description: d.Description, BeginRange: d.BeginRange})
		}
	}
	return p, nil
}

// Filter is one GetProducts TERM_MATCH filter: field = value.
type Filter struct{ Field, Value string }

// Fetcher runs GetProducts (all pages) and returns the PriceList documents. cmd/cost implements it with
// aws-sdk-go-v2's pricing client; tests with a fixture.
type Fetcher interface {
	GetProducts(ctx context.Context, serviceCode string, filters []Filter) ([]string, error)
}

// query is how one rate is found: a service, filters, and the usage type suffix of the product that carries it
// (us-east-1 usage types have no region prefix, others do: "BoxUsage:t3.large", "USW2-BoxUsage:t3.large").
type query struct {
	name        string
	service     string
	filters     []Filter
	usageSuffix string
	set         func(rp *RegionPrices, usd float64)
}

func regionQueries(rp RegionPrices) []query {
	loc := Filter{"location", rp.Location}
	qs := []query{
		{"eksClusterHour", "AmazonEKS", []Filter{loc}, "AmazonEKS-Hours:perCluster", func(r *RegionPrices, v float64) { r.EKSClusterHour = v }},
		{"natGatewayHour", "AmazonEC2", []Filter{loc, {"productFamily", "NAT Gateway"}}, "NatGateway-Hours", func(r *RegionPrices, v float64) { r.NATGatewayHour = v }},
		{"publicIPv4Hour", "AmazonVPC", []Filter{loc}, "PublicIPv4:InUseAddress", func(r *RegionPrices, v float64) { r.PublicIPv4Hour = v }},
		{"interfaceEndpointAZHour", "AmazonVPC", []Filter{loc}, "VpcEndpoint-Hours", func(r *RegionPrices, v float64) { r.InterfaceEndpointAZHour = v }},
		{"nlbHour", "AWSELB", []Filter{loc, {"productFamily", "Load Balancer-Network"}}, "LoadBalancerUsage", func(r *RegionPrices, v float64) { r.NLBHour = v }},
		{"albHour", "AWSELB", []Filter{loc, {"productFamily", "Load Balancer-Application"}}, "LoadBalancerUsage", func(r *RegionPrices, v float64) { r.ALBHour = v }},
		{"clbHour", "AWSELB", []Filter{loc, {"productFamily", "Load Balancer"}}, "LoadBalancerUsage", func(r *RegionPrices, v float64) { r.CLBHour = v }},
		{"kmsKeyMonth", "awskms", []Filter{loc}, "KMS-Keys", func(r *RegionPrices, v float64) { r.KMSKeyMonth = v }},
	}
	for _, vt := range sortedKeys(rp.EBSGBMonth) {
		vt := vt
		qs = append(qs, query{"ebsGBMonth." + vt, "AmazonEC2", []Filter{loc, {"volumeApiName", vt}}, "EBS:VolumeUsage." + vt,
			func(r *RegionPrices, v float64) { r.EBSGBMonth[vt] = v }})
	}
	for _, it := range sortedKeys(rp.InstanceHour) {
		it := it
		qs = append(qs, query{"instanceHour." + it, "AmazonEC2", []Filter{loc, {"instanceType", it}, {"operatingSystem", "Linux"},
			{"tenancy", "Shared"}, {"preInstalledSw", "NA"}, {"capacitystatus", "Used"}}, "BoxUsage:" + it,
			func(r *RegionPrices, v float64) { r.InstanceHour[it] = v }})
	}
	return qs
}

// pick returns the on-demand rate of the one product whose usage type ends with suffix (the first non-zero
// dimension: tiered products start with a free tier of 0).
func pick(docs []string, suffix string) (float64, error) {
	var rates []float64
	for _, d := range docs {
		p, err := ParsePriceListProduct(d)
		if err != nil {
			return 0, err
		}
		if !strings.HasSuffix(p.Attributes["usagetype"], suffix) {
			continue
		}
		for _, dim := range p.OnDemand {
			if dim.USD > 0 {
				rates = append(rates, dim.USD)
				break
			}
		}
	}
	switch {
	case len(rates) == 0:
		return 0, fmt.Errorf("no product with usage type *%s among %d", suffix, len(docs))
	case len(rates) > 1:
		sort.Float64s(rates)
		if rates[0] != rates[len(rates)-1] {
			return 0, fmt.Errorf("%d products with usage type *%s disagree (%v); tighten the filters", len(rates), suffix, rates)
		}
	}
	return rates[0], nil
}

// Refresh asks the Price List API for every rate prev carries (same regions, instance types and volume types)
// and returns the new snapshot dated today. Rates it cannot find keep their previous value and are listed in the
// returned slice and in the snapshot's Unconfirmed list, so a partial refresh is visible. CodeBuild minutes are
// carried over: the estimate lists them as usage only.
func Refresh(ctx context.Context, prev Prices, f Fetcher, today string) (Prices, []string, error) {
	next := prev
	next.Date = today
	next.Regions = map[string]RegionPrices{}
	var missed []string
	for _, reg := range sortedKeys(prev.Regions) {
		rp := cloneRegion(prev.Regions[reg])
		for _, q := range regionQueries(rp) {
			docs, err := f.GetProducts(ctx, q.service, q.filters)
			if err != nil {
				return Prices{}, nil, fmt.Errorf("%s %s: GetProducts %s: %w", reg, q.name, q.service, err)
			}
			usd, err := pick(docs, q.usageSuffix)
			if err != nil {
				missed = append(missed, fmt.Sprintf("%s %s (%v)", reg, q.name, err))
				continue
			}
			q.set(&rp, usd)
		}
		next.Regions[reg] = rp
	}
	next.Source = fmt.Sprintf("AWS Price List Query API (pricing:GetProducts), on-demand Linux shared-tenancy rates, queried on %s by `make cost-prices`.", today)
	next.Confirmed = []string{"every rate except those listed as unconfirmed, from GetProducts on " + today}
	next.Unconfirmed = append([]string{"codebuildMinute: carried over from the previous snapshot (usage-priced, not in the totals)"}, missed...)
	return next, missed, nil
}

func cloneRegion(rp RegionPrices) RegionPrices {
	c := rp
	c.EBSGBMonth = map[string]float64{}
	for k, v := range rp.EBSGBMonth {
		c.EBSGBMonth[k] = v
	}
	c.InstanceHour = map[string]float64{}
	for k, v := range rp.InstanceHour {
		c.InstanceHour[k] = v
	}
	c.CodeBuildMinute = map[string]float64{}
	for k, v := range rp.CodeBuildMinute {
		c.CodeBuildMinute[k] = v
	}
	return c
}
